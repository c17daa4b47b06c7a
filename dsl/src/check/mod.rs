//! Checking: from parsed files to a [`Config`] and every problem found.
//!
//! The checker never stops at the first problem. It resolves names across
//! files, type-checks expressions against the fact schema, and checks
//! references to templates and hook functions against an [`Env`] that the
//! caller builds from the template and hook files (this crate does not know
//! rhai or tera).
//!
//! One `Checker` walks the blocks of every file in the order `run` gives;
//! each concern adds its own `impl Checker` block in a submodule:
//! - `names`: names declared across files, duplicates, references to them.
//! - `settings`: the `settings` block and its values (timezone, currency, language).
//! - `declarations`: `field`, `calendar`, `status` and `hashtag` blocks.
//! - `scenario`: scenarios and their steps (offsets, order, actions, modes).
//! - `alerts`: `alert` and `escalation` blocks.
//! - `recipients`: who a message or task goes to (roles and addresses).
//! - `env`: [`Env`], and the template and hook references checked against it.
//! - `expr`: the type checking of expressions against [`crate::schema`].
//! - `validate`: small predicates on words (language codes, hashtag names, weekdays).

mod alerts;
mod declarations;
mod env;
mod expr;
mod names;
mod recipients;
mod scenario;
mod settings;
mod validate;

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{self, Item};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::model::*;
use crate::source::{FileId, Span};

pub use declarations::BUILTIN_HASHTAGS;
pub use env::Env;
pub use validate::valid_language;

/// The outcome of checking.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The configuration; only usable when `diagnostics` holds no error.
    pub config: Config,
    /// Every problem found, errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// Counts for the summary line.
    pub summary: Summary,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks parsed files (each with its id) against an environment.
pub fn check(files: &[(FileId, ast::File)], env: &Env) -> Checked {
    let mut cx = Checker {
        env,
        diags: Vec::new(),
        fields: Vec::new(),
        fallback_language: String::new(),
        untranslated: BTreeSet::new(),
        statuses: BTreeSet::new(),
    };
    let config = cx.run(files);
    let summary = Summary {
        scenarios: config.scenarios.len(),
        steps: config.scenarios.values().map(|s| s.steps.len()).sum(),
        alerts: config.alerts.values().filter(|a| !a.builtin).count(),
        escalations: config.escalations.len(),
        statuses: config.statuses.len(),
        templates: env
            .templates
            .iter()
            .map(|(lang, names)| (lang.clone(), names.len()))
            .collect(),
    };
    let mut diagnostics = cx.diags;
    crate::diagnostic::sort(&mut diagnostics);
    Checked {
        config,
        diagnostics,
        summary,
    }
}

/// Where an expression is evaluated: which facts it may read.
#[derive(Clone, Copy)]
struct Ctx {
    /// Whether `item.*` is available.
    item: bool,
    /// How to name the place in messages.
    place: &'static str,
}

const STEP_CONDITION: Ctx = Ctx {
    item: true,
    place: "a step condition",
};
const ITEM_CONTEXT: Ctx = Ctx {
    item: true,
    place: "an item alert",
};
const STATUS_CONTEXT: Ctx = Ctx {
    item: true,
    place: "a status",
};
const ACCOUNT_ALERT: Ctx = Ctx {
    item: false,
    place: "an account alert",
};
const ESCALATION: Ctx = Ctx {
    item: false,
    place: "an escalation",
};
const ASSIGN: Ctx = Ctx {
    item: false,
    place: "an `assign` rule",
};

struct Checker<'e> {
    env: &'e Env,
    diags: Vec<Diagnostic>,
    /// Declared custom fields (collected first: expressions anywhere may use them).
    fields: Vec<FieldDef>,
    /// The settings' language: templates must exist in it.
    fallback_language: String,
    /// `(template, language)` pairs already warned about, to warn once each.
    untranslated: BTreeSet<(String, String)>,
    /// Declared statuses, for `item.status == "..."`.
    statuses: BTreeSet<String>,
}

impl Checker<'_> {
    fn error(&mut self, code: Code, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::new(code, span, message));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    fn help(&mut self, code: Code, span: Span, message: impl Into<String>, help: Option<String>) {
        self.diags
            .push(Diagnostic::new(code, span, message).with_help_opt(help));
    }

    /// Reports a statement given twice in a block.
    fn once(&mut self, seen: &mut BTreeMap<&'static str, Span>, what: &'static str, span: Span) {
        if let Some(first) = seen.get(what) {
            let first = *first;
            self.error(
                Code::RepeatedStatement,
                span,
                format!("`{what}` is given twice"),
            )
            .labels
            .push((first, "first given here".into()));
        } else {
            seen.insert(what, span);
        }
    }

    fn unknown(&mut self, u: &ast::Unknown, block: &str, keywords: &[&str]) {
        let word = u.keyword.node.as_str();
        let help = did_you_mean(word, keywords.iter().copied())
            .or_else(|| Some(format!("a {block} block takes: {}", keywords.join(", "))));
        self.help(
            Code::UnknownStatement,
            u.keyword.span,
            format!(
                "unknown statement `{word}` in {} {block} block",
                if block.starts_with(['a', 'e']) {
                    "an"
                } else {
                    "a"
                }
            ),
            help,
        );
    }

    fn run(&mut self, files: &[(FileId, ast::File)]) -> Config {
        let items: Vec<&Item> = files.iter().flat_map(|(_, f)| f.items.iter()).collect();

        // 1. Names, across all files; duplicates reported once each.
        let names = self.declare(&items);

        self.statuses = names.statuses.keys().cloned().collect();

        // 2. Fields first: expressions anywhere may read them.
        for item in &items {
            if let Item::Field(f) = item {
                self.field(f);
            }
        }

        // 3. Settings.
        let settings_blocks: Vec<&ast::Settings> = items
            .iter()
            .filter_map(|i| match i {
                Item::Settings(s) => Some(s),
                _ => None,
            })
            .collect();
        for extra in settings_blocks.iter().skip(1) {
            self.diags.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    Span {
                        end: extra.span.start + 8,
                        ..extra.span
                    },
                    "`settings` is defined twice",
                )
                .with_label(
                    Span {
                        end: settings_blocks[0].span.start + 8,
                        ..settings_blocks[0].span
                    },
                    "first defined here",
                ),
            );
        }
        let settings = self.settings(settings_blocks.first().copied(), &names);
        self.fallback_language = settings.language.clone();

        let mut config = Config {
            settings,
            calendars: BTreeMap::new(),
            fields: self.fields.clone(),
            statuses: BTreeMap::new(),
            assigns: Vec::new(),
            hooks: BTreeMap::new(),
            hashtags: BTreeMap::new(),
            scenarios: BTreeMap::new(),
            alerts: BTreeMap::new(),
            escalations: BTreeMap::new(),
        };
        for (name, scope, level) in BUILTIN_ALERTS {
            config.alerts.insert(
                (*name).to_string(),
                AlertDef {
                    name: (*name).to_string(),
                    scope: *scope,
                    label: None,
                    when: None,
                    level: *level,
                    notify: Vec::new(),
                    builtin: true,
                },
            );
        }

        // 4. Every block.
        for item in &items {
            match item {
                Item::Settings(_) | Item::Field(_) | Item::Broken(_) => {}
                Item::Calendar(c) => {
                    let cal = self.calendar(c);
                    config.calendars.entry(c.name.node.clone()).or_insert(cal);
                }
                Item::Status(s) => {
                    let st = self.status(s);
                    config.statuses.entry(s.name.node.clone()).or_insert(st);
                }
                Item::Assign(a) => {
                    self.scenario_ref(&a.scenario, &names);
                    self.condition(&a.when, ASSIGN);
                    config.assigns.push(AssignRule {
                        scenario: a.scenario.node.clone(),
                        when: a.when.clone(),
                    });
                }
                Item::Hook(h) => {
                    config.hooks.entry(h.name.node.clone()).or_insert(HookDef {
                        name: h.name.node.clone(),
                        path: h.path.node.clone(),
                    });
                }
                Item::Hashtag(h) => {
                    if let Some(def) = self.hashtag(h) {
                        config.hashtags.entry(h.name.node.clone()).or_insert(def);
                    }
                }
                Item::Scenario(s) => {
                    let sc = self.scenario(s, &names);
                    config.scenarios.entry(s.name.node.clone()).or_insert(sc);
                }
                Item::Alert(a) => {
                    if let Some(def) = self.alert(a) {
                        let builtin = config.alerts.get(&a.name.node).is_some_and(|d| d.builtin);
                        if builtin || !config.alerts.contains_key(&a.name.node) {
                            config.alerts.insert(a.name.node.clone(), def);
                        }
                    }
                }
                Item::Escalation(e) => {
                    if let Some(def) = self.escalation(e, &names) {
                        config.escalations.entry(e.name.node.clone()).or_insert(def);
                    }
                }
            }
        }

        // A dispute has no date: its status cannot wait for one.
        let dispute = config
            .settings
            .dispute_status
            .as_deref()
            .unwrap_or("dispute");
        let dated = config.statuses.get(dispute).is_some_and(|d| {
            matches!(&d.effect, StatusEffect::Suspends(Some(until)) if until.reads("item", "promise_date"))
        });
        let given = settings_blocks.first().and_then(|b| {
            b.entries
                .iter()
                .find(|e| e.key.node == "dispute_status")
                .and_then(|e| e.values.first())
        });
        if dated && let Some(value) = given {
            self.error(
                Code::InvalidValue,
                value.span,
                format!(
                    "status \"{dispute}\" suspends until item.promise_date, but a dispute opened on the customer page has no date"
                ),
            )
            .help = Some("name a status that suspends without a date (`suspends`)".into());
        }

        if config.settings.default_scenario.is_none() {
            match config.scenarios.len() {
                0 => {}
                1 => config.settings.default_scenario = config.scenarios.keys().next().cloned(),
                _ => {
                    let span = settings_blocks.first().map(|s| Span {
                        end: s.span.start + 8,
                        ..s.span
                    });
                    let message = "`default_scenario` is required in `settings` when there are several scenarios";
                    let help = format!(
                        "add for example `default_scenario \"{}\"`",
                        config.scenarios.keys().next().map_or("", String::as_str)
                    );
                    let d = match span {
                        Some(span) => Diagnostic::new(Code::Missing, span, message),
                        None => Diagnostic::global(Code::Missing, message),
                    };
                    self.diags.push(d.with_help(help));
                }
            }
        }
        let sends_email = config.scenarios.values().any(|sc| {
            sc.steps
                .iter()
                .any(|st| st.actions.iter().any(|a| matches!(a, Action::Email { .. })))
        });
        if config.settings.from.is_none() && sends_email {
            let span = settings_blocks.first().map(|s| Span {
                end: s.span.start + 8,
                ..s.span
            });
            let message = "emails have no sender: `settings` has no `from`";
            let d = match span {
                Some(span) => Diagnostic::new(Code::NoSender, span, message),
                None => Diagnostic::global(Code::NoSender, message),
            };
            self.diags.push(d.with_help(format!(
                "customers would get emails from \"{} <relance@localhost>\", which their servers may refuse; \
                 add `from \"Credit team <ar@example.com>\"` to `settings`",
                config.settings.company.as_deref().unwrap_or("relance")
            )));
        }
        config
    }
}
