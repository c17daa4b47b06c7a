//! Checking: from parsed files to a [`Config`] and every problem found.
//!
//! The checker never stops at the first problem. It resolves names across
//! files, type-checks expressions against the fact schema, and checks
//! references to templates and hook functions against an [`Env`] that the
//! caller builds from the template and hook files (this crate does not know
//! rhai or tera).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Weekday;

use crate::ast::{self, BinaryOp, Expr, ExprKind, Item, UnaryOp, Value};
use crate::diagnostic::{Code, Diagnostic, closest, did_you_mean};
use crate::model::*;
use crate::schema;
use crate::source::{FileId, Span, Spanned};

/// What the checker needs to know of the non-DSL files.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// Functions the hook files define, with the numbers of parameters they take.
    pub hook_functions: BTreeMap<String, BTreeSet<usize>>,
    /// False when a hook file could not be compiled: calls are then not
    /// reported as unknown (the file's own error says enough).
    pub hooks_complete: bool,
    /// Template names per language directory (`en` → `reminder_1`, ...).
    pub templates: BTreeMap<String, BTreeSet<String>>,
    /// Every file under `templates/`, relative to it (`partials/vip_note.html`).
    pub template_files: BTreeSet<String>,
}

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

/// Names declared by kind, for duplicates and references.
#[derive(Default)]
struct Names {
    scenarios: BTreeMap<String, Span>,
    statuses: BTreeMap<String, Span>,
    calendars: BTreeMap<String, Span>,
    alerts: BTreeMap<String, Span>,
    escalations: BTreeMap<String, Span>,
    hashtags: BTreeMap<String, Span>,
    hooks: BTreeMap<String, Span>,
}

impl Names {
    fn of_kind(&mut self, keyword: &str) -> Option<(&mut BTreeMap<String, Span>, &'static str)> {
        Some(match keyword {
            "scenario" => (&mut self.scenarios, "scenario"),
            "status" => (&mut self.statuses, "status"),
            "calendar" => (&mut self.calendars, "calendar"),
            "alert" => (&mut self.alerts, "alert"),
            "escalation" => (&mut self.escalations, "escalation"),
            "hashtag" => (&mut self.hashtags, "hashtag"),
            "hook" => (&mut self.hooks, "hook"),
            _ => return None,
        })
    }
}

fn item_keyword(item: &Item) -> Option<(&'static str, &ast::Name)> {
    Some(match item {
        Item::Calendar(c) => ("calendar", &c.name),
        Item::Status(s) => ("status", &s.name),
        Item::Hook(h) => ("hook", &h.name),
        Item::Hashtag(h) => ("hashtag", &h.name),
        Item::Scenario(s) => ("scenario", &s.name),
        Item::Alert(a) => ("alert", &a.name),
        Item::Escalation(e) => ("escalation", &e.name),
        _ => return None,
    })
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

    fn run(&mut self, files: &[(FileId, ast::File)]) -> Config {
        let items: Vec<&Item> = files.iter().flat_map(|(_, f)| f.items.iter()).collect();

        // 1. Names, across all files; duplicates reported once each.
        let mut names = Names::default();
        for item in &items {
            let (keyword, name) = match item {
                Item::Broken(b) => match &b.name {
                    Some(n) => (b.keyword.as_str(), n),
                    None => continue,
                },
                other => match item_keyword(other) {
                    Some(k) => k,
                    None => continue,
                },
            };
            let Some((map, kind)) = names.of_kind(keyword) else {
                continue;
            };
            if let Some(first) = map.get(&name.node) {
                let first = *first;
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        name.span,
                        format!("{kind} \"{}\" is defined twice", name.node),
                    )
                    .with_label(first, "first defined here"),
                );
            } else {
                map.insert(name.node.clone(), name.span);
            }
        }

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

    // ------------------------------------------------------------ settings

    fn settings(&mut self, block: Option<&ast::Settings>, names: &Names) -> Settings {
        let mut s = Settings {
            company: None,
            from: None,
            timezone: chrono_tz::UTC,
            currency: "EUR".into(),
            language: "en".into(),
            calendar: None,
            default_scenario: None,
            send_window: None,
            max_data_age_hours: None,
            rates: BTreeMap::new(),
        };
        let Some(block) = block else {
            return s;
        };
        const KEYS: &[&str] = &[
            "company",
            "from",
            "timezone",
            "currency",
            "language",
            "calendar",
            "default_scenario",
            "send_window",
            "max_data_age",
            "rate",
        ];
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for entry in &block.entries {
            let key = entry.key.node.as_str();
            if !KEYS.contains(&key) {
                self.help(
                    Code::UnknownStatement,
                    entry.key.span,
                    format!("unknown setting `{key}`"),
                    did_you_mean(key, KEYS.iter().copied()),
                );
                continue;
            }
            if key != "rate" {
                if let Some(first) = seen.get(key) {
                    let first = *first;
                    self.error(
                        Code::RepeatedStatement,
                        entry.key.span,
                        format!("setting `{key}` is given twice"),
                    )
                    .labels
                    .push((first, "first given here".into()));
                    continue;
                }
                seen.insert(key, entry.key.span);
            }
            match key {
                "company" => s.company = self.string_setting(entry),
                "from" => {
                    if let Some(from) = self.string_setting(entry) {
                        let span = entry.values[0].span;
                        if !valid_mailbox(&from) {
                            self.error(
                                Code::InvalidValue,
                                span,
                                format!("\"{from}\" is not a sender address"),
                            )
                            .help =
                                Some("write `\"Name <address@example.com>\"` or an address".into());
                        }
                        s.from = Some(from);
                    }
                }
                "timezone" => {
                    if let Some(tz) = self.string_setting(entry)
                        && let Some(tz) = self.timezone(&tz, entry.values[0].span)
                    {
                        s.timezone = tz;
                    }
                }
                "currency" => {
                    if let Some(c) = self.string_setting(entry) {
                        self.currency(&c, entry.values[0].span);
                        s.currency = c;
                    }
                }
                "language" => {
                    if let Some(l) = self.string_setting(entry)
                        && self.language(&l, entry.values[0].span)
                    {
                        s.language = l;
                    }
                }
                "calendar" => {
                    if let Some(c) = self.string_setting(entry) {
                        self.reference(
                            "calendar",
                            Code::UnknownCalendar,
                            &Spanned::new(c.clone(), entry.values[0].span),
                            &names.calendars,
                        );
                        s.calendar = Some(c);
                    }
                }
                "default_scenario" => {
                    if let Some(sc) = self.string_setting(entry) {
                        self.scenario_ref(&Spanned::new(sc.clone(), entry.values[0].span), names);
                        s.default_scenario = Some(sc);
                    }
                }
                "send_window" => {
                    if let Some((from, _)) =
                        self.setting_values(entry, 1, "a time range such as `08:30..18:00`")
                    {
                        match from.node {
                            Value::TimeRange(a, b) if a < b => s.send_window = Some((a, b)),
                            Value::TimeRange(..) => {
                                self.error(
                                    Code::InvalidValue,
                                    from.span,
                                    "the send window must end after it starts",
                                );
                            }
                            Value::Invalid(_) => {}
                            _ => self.expected(entry, from, "a time range such as `08:30..18:00`"),
                        }
                    }
                }
                "max_data_age" => {
                    if let Some((v, _)) = self.setting_values(entry, 1, "a duration such as `36h`")
                    {
                        match v.node {
                            Value::Duration(d) => s.max_data_age_hours = Some(d.hours()),
                            Value::Invalid(_) => {}
                            _ => self.expected(entry, v, "a duration such as `36h`"),
                        }
                    }
                }
                "rate" => {
                    if let Some((cur, rate)) = self.setting_values(
                        entry,
                        2,
                        "a currency code and a rate, as in `rate USD 0.92`",
                    ) {
                        let Some(rate) = rate else { continue };
                        let code = match &cur.node {
                            Value::Currency(c) => c.clone(),
                            Value::Invalid(_) => continue,
                            _ => {
                                self.expected(entry, cur, "a currency code such as `USD`");
                                continue;
                            }
                        };
                        if !self.currency(&code, cur.span) {
                            continue;
                        }
                        match rate.node {
                            Value::Number(r) if r > rust_decimal::Decimal::ZERO => {
                                if s.rates.insert(code.clone(), r).is_some() {
                                    self.error(
                                        Code::RepeatedStatement,
                                        cur.span,
                                        format!("the rate of {code} is given twice"),
                                    );
                                }
                            }
                            Value::Number(_) => {
                                self.error(
                                    Code::InvalidValue,
                                    rate.span,
                                    "a rate must be greater than 0",
                                );
                            }
                            Value::Invalid(_) => {}
                            _ => self.expected(entry, rate, "a number"),
                        }
                    }
                }
                _ => {}
            }
        }
        if s.rates.contains_key(&s.currency) {
            // A rate for the platform currency itself is harmless but meaningless.
            s.rates.remove(&s.currency);
        }
        s
    }

    /// The values of a setting when there are exactly `n` (1 or 2).
    fn setting_values<'a>(
        &mut self,
        entry: &'a ast::Setting,
        n: usize,
        what: &str,
    ) -> Option<(&'a Spanned<Value>, Option<&'a Spanned<Value>>)> {
        if entry.values.len() != n {
            self.error(
                Code::InvalidValue,
                entry.span,
                format!("`{}` takes {what}", entry.key.node),
            );
            return None;
        }
        Some((&entry.values[0], entry.values.get(1)))
    }

    fn expected(&mut self, entry: &ast::Setting, value: &Spanned<Value>, what: &str) {
        self.error(
            Code::InvalidValue,
            value.span,
            format!("`{}` takes {what}", entry.key.node),
        );
    }

    fn string_setting(&mut self, entry: &ast::Setting) -> Option<String> {
        let (v, _) = self.setting_values(entry, 1, "a string")?;
        match &v.node {
            Value::String(s) => Some(s.clone()),
            Value::Invalid(_) => None,
            _ => {
                self.error(
                    Code::InvalidValue,
                    v.span,
                    format!("`{}` takes a string in double quotes", entry.key.node),
                );
                None
            }
        }
    }

    fn timezone(&mut self, name: &str, span: Span) -> Option<chrono_tz::Tz> {
        match name.parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                let help = closest(name, chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()))
                    .map(|c| format!("did you mean \"{c}\"?"))
                    .or_else(|| Some("use an IANA name such as \"Europe/Paris\"".into()));
                self.help(
                    Code::InvalidTimezone,
                    span,
                    format!("unknown timezone \"{name}\""),
                    help,
                );
                None
            }
        }
    }

    fn currency(&mut self, code: &str, span: Span) -> bool {
        if iso_currency::Currency::from_code(code).is_some() {
            return true;
        }
        let codes: Vec<&str> = <iso_currency::Currency as iso_currency::IntoEnumIterator>::iter()
            .map(|c| c.code())
            .collect();
        let help = closest(code, codes.iter().copied())
            .map(|c| format!("did you mean \"{c}\"?"))
            .or_else(|| Some("use an ISO 4217 code such as \"EUR\" or \"USD\"".into()));
        self.help(
            Code::InvalidCurrency,
            span,
            format!("unknown currency \"{code}\""),
            help,
        );
        false
    }

    fn language(&mut self, lang: &str, span: Span) -> bool {
        let valid = valid_language(lang);
        if !valid {
            self.error(
                Code::InvalidValue,
                span,
                format!("\"{lang}\" is not a language code"),
            )
            .help = Some("use a two-letter code such as \"en\" or \"fr\"".into());
        }
        valid
    }

    // ------------------------------------------------------------ blocks

    fn field(&mut self, f: &ast::Field) {
        let target = match f.target.node.as_str() {
            "customer" => FieldTarget::Customer,
            "item" => FieldTarget::Item,
            other => {
                self.help(
                    Code::InvalidValue,
                    f.target.span,
                    format!("custom fields belong to `customer` or `item`, not `{other}`"),
                    did_you_mean(other, ["customer", "item"]),
                );
                return;
            }
        };
        const TYPES: &[&str] = &["text", "number", "date", "boolean"];
        let ty = match f.ty.node.as_str() {
            "text" => Type::Text,
            "number" => Type::Number,
            "date" => Type::Date,
            "boolean" => Type::Bool,
            other => {
                self.help(
                    Code::InvalidValue,
                    f.ty.span,
                    format!("unknown field type `{other}`"),
                    did_you_mean(other, TYPES.iter().copied())
                        .or_else(|| Some("field types are text, number, date, boolean".into())),
                );
                return;
            }
        };
        if schema::builtin_fields(&f.target.node)
            .iter()
            .any(|(n, _)| *n == f.name.node)
        {
            self.error(
                Code::DuplicateName,
                f.name.span,
                format!("`{}.{}` is a built-in field", f.target.node, f.name.node),
            );
            return;
        }
        if self
            .fields
            .iter()
            .any(|d| d.target == target && d.name == f.name.node)
        {
            self.error(
                Code::DuplicateName,
                f.name.span,
                format!(
                    "field `{}.{}` is declared twice",
                    f.target.node, f.name.node
                ),
            );
            return;
        }
        self.fields.push(FieldDef {
            target,
            name: f.name.node.clone(),
            ty,
        });
    }

    fn calendar(&mut self, c: &ast::Calendar) -> Calendar {
        let mut cal = Calendar::default();
        let mut seen = BTreeMap::new();
        for stmt in &c.stmts {
            match stmt {
                ast::CalendarStmt::Weekend(days, span) => {
                    self.once(&mut seen, "weekend", *span);
                    for d in days {
                        match weekday(&d.node) {
                            Some(w) => cal.weekend.push(w),
                            None => self.help(
                                Code::InvalidValue,
                                d.span,
                                format!("`{}` is not a day of the week", d.node),
                                did_you_mean(&d.node, WEEKDAYS.iter().copied()).or_else(|| {
                                    Some("days are mon, tue, wed, thu, fri, sat, sun".into())
                                }),
                            ),
                        }
                    }
                }
                ast::CalendarStmt::Holidays(dates, span) => {
                    self.once(&mut seen, "holidays", *span);
                    for d in dates {
                        if let Value::Date(date) = d.node {
                            cal.holidays.push(date);
                        }
                    }
                }
                ast::CalendarStmt::Unknown(u) => {
                    self.unknown(u, "calendar", &["weekend", "holidays"])
                }
            }
        }
        cal.holidays.sort_unstable();
        cal.holidays.dedup();
        cal
    }

    fn status(&mut self, s: &ast::Status) -> StatusDef {
        let mut def = StatusDef {
            name: s.name.node.clone(),
            label: None,
            labels: BTreeMap::new(),
            effect: StatusEffect::None,
        };
        let mut seen = BTreeMap::new();
        let mut effect_span: Option<Span> = None;
        for stmt in &s.stmts {
            match stmt {
                ast::StatusStmt::Label(l, translations) => {
                    self.once(&mut seen, "label", l.span);
                    def.label = Some(l.node.clone());
                    for t in translations {
                        let lang = &t.language;
                        if !valid_language(&lang.node) {
                            self.error(
                                Code::InvalidValue,
                                lang.span,
                                format!(
                                    "\"{}\" is not a language code such as fr or de",
                                    lang.node
                                ),
                            );
                        } else if def.labels.contains_key(&lang.node) {
                            self.error(
                                Code::RepeatedStatement,
                                lang.span,
                                format!("the label in \"{}\" is given twice", lang.node),
                            );
                        } else {
                            def.labels.insert(lang.node.clone(), t.text.node.clone());
                        }
                    }
                }
                ast::StatusStmt::Suspends(until, span) => {
                    if let Some(first) = effect_span {
                        self.error(
                            Code::RepeatedStatement,
                            *span,
                            "a status either suspends or excludes, once",
                        )
                        .labels
                        .push((first, "already said here".into()));
                        continue;
                    }
                    effect_span = Some(*span);
                    if let Some(e) = until {
                        let ty = self.expr(e, STATUS_CONTEXT);
                        self.expect_type(e, &ty, &Type::Date, "`suspends until` needs a date");
                    }
                    def.effect = StatusEffect::Suspends(until.clone());
                }
                ast::StatusStmt::Excludes(span) => {
                    if let Some(first) = effect_span {
                        self.error(
                            Code::RepeatedStatement,
                            *span,
                            "a status either suspends or excludes, once",
                        )
                        .labels
                        .push((first, "already said here".into()));
                        continue;
                    }
                    effect_span = Some(*span);
                    def.effect = StatusEffect::Excludes;
                }
                ast::StatusStmt::Unknown(u) => {
                    self.unknown(u, "status", &["label", "suspends", "excludes"])
                }
            }
        }
        self.status_translations(s, &def);
        def
    }

    /// Warns when a status's label has no translation for a language that
    /// templates are written in: customers would read it in another language.
    fn status_translations(&mut self, s: &ast::Status, def: &StatusDef) {
        let Some(label) = &def.label else { return };
        let span = s
            .stmts
            .iter()
            .find_map(|st| match st {
                ast::StatusStmt::Label(l, _) => Some(l.span),
                _ => None,
            })
            .unwrap_or(s.name.span);
        let fallback = self.settings_language();
        let missing: Vec<String> = self
            .env
            .templates
            .keys()
            .filter(|lang| **lang != fallback && !def.labels.contains_key(*lang))
            .cloned()
            .collect();
        for lang in missing {
            self.diags.push(
                Diagnostic::new(
                    Code::MissingTranslation,
                    span,
                    format!("status \"{}\" has no \"{lang}\" label", def.name),
                )
                .with_help(format!(
                    "emails in \"{lang}\" would show \"{label}\"; add `{lang} \"…\"` after the label"
                )),
            );
        }
    }

    fn hashtag(&mut self, h: &ast::Hashtag) -> Option<HashtagDef> {
        if !valid_hashtag_name(&h.name.node) {
            self.error(
                Code::InvalidValue,
                h.name.span,
                format!("\"{}\" is not a hashtag name", h.name.node),
            )
            .help = Some(
                "hashtag names are lower-case letters, digits and `_`, starting with a letter"
                    .into(),
            );
        }
        if BUILTIN_HASHTAGS.contains(&h.name.node.as_str()) {
            self.error(
                Code::DuplicateName,
                h.name.span,
                format!("#{} is a built-in hashtag", h.name.node),
            );
        }
        let mut body = None;
        for stmt in &h.stmts {
            let (new, span) = match stmt {
                ast::HashtagStmt::Text(t) => (HashtagBody::Text(t.node.clone()), t.span),
                ast::HashtagStmt::Template(t) => {
                    if !self.env.template_files.contains(&t.node) {
                        let help =
                            closest(&t.node, self.env.template_files.iter().map(String::as_str))
                                .map(|c| format!("did you mean \"{c}\"?"));
                        self.help(
                            Code::UnknownTemplate,
                            t.span,
                            format!("no template file \"templates/{}\"", t.node),
                            help,
                        );
                    }
                    (HashtagBody::Template(t.node.clone()), t.span)
                }
                ast::HashtagStmt::Unknown(u) => {
                    self.unknown(u, "hashtag", &["text", "template"]);
                    continue;
                }
            };
            if body.is_some() {
                self.error(
                    Code::RepeatedStatement,
                    span,
                    "a hashtag has one body: `text` or `template`",
                );
            } else {
                body = Some(new);
            }
        }
        match body {
            Some(body) => Some(HashtagDef {
                name: h.name.node.clone(),
                body,
            }),
            None => {
                self.error(
                    Code::Missing,
                    h.name.span,
                    format!("hashtag \"{}\" has no body", h.name.node),
                )
                .help = Some("add `text \"...\"` or `template \"partials/....html\"`".into());
                None
            }
        }
    }

    fn scenario(&mut self, s: &ast::Scenario, names: &Names) -> Scenario {
        let mut sc = Scenario {
            name: s.name.node.clone(),
            label: None,
            calendar: None,
            min_gap_days: 0,
            max_age_days: None,
            mode: Mode::Auto,
            steps: Vec::new(),
            span: s.name.span,
        };
        let mut seen = BTreeMap::new();
        // Modes are applied to steps after the scenario's own mode is known.
        let mut step_modes: Vec<Option<Mode>> = Vec::new();
        let mut step_names: BTreeMap<&str, Span> = BTreeMap::new();
        let mut previous: Option<(i64, Span)> = None;
        for stmt in &s.stmts {
            match stmt {
                ast::ScenarioStmt::Label(l) => {
                    self.once(&mut seen, "label", l.span);
                    sc.label = Some(l.node.clone());
                }
                ast::ScenarioStmt::Calendar(c) => {
                    self.once(&mut seen, "calendar", c.span);
                    self.reference("calendar", Code::UnknownCalendar, c, &names.calendars);
                    sc.calendar = Some(c.node.clone());
                }
                ast::ScenarioStmt::MinGap(d) => {
                    self.once(&mut seen, "min_gap", d.span);
                    sc.min_gap_days = self.days(d, "min_gap");
                }
                ast::ScenarioStmt::MaxAge(d) => {
                    self.once(&mut seen, "max_age", d.span);
                    sc.max_age_days = Some(self.days(d, "max_age"));
                }
                ast::ScenarioStmt::Mode(m) => {
                    self.once(&mut seen, "mode", m.span);
                    if let Some(mode) = self.mode(m) {
                        sc.mode = mode;
                    }
                }
                ast::ScenarioStmt::Step(step) => {
                    if let Some(first) = step_names.get(step.name.node.as_str()) {
                        let first = *first;
                        self.error(
                            Code::DuplicateName,
                            step.name.span,
                            format!(
                                "step \"{}\" is defined twice in scenario \"{}\"",
                                step.name.node, s.name.node
                            ),
                        )
                        .labels
                        .push((first, "first defined here".into()));
                    } else {
                        step_names.insert(&step.name.node, step.name.span);
                    }
                    let offset = self.offset(&step.offset);
                    if let Some((prev, prev_span)) = previous
                        && offset <= prev
                    {
                        self.error(
                            Code::StepOrder,
                            step.offset.span,
                            format!(
                                "step \"{}\" must come later than the step before it ({} is not after {})",
                                step.name.node,
                                offset_text(offset),
                                offset_text(prev)
                            ),
                        )
                        .labels
                        .push((prev_span, "the step before".into()));
                    }
                    previous = Some((offset, step.offset.span));
                    let (st, mode) = self.step(step, offset, names);
                    sc.steps.push(st);
                    step_modes.push(mode);
                }
                ast::ScenarioStmt::Unknown(u) => self.unknown(
                    u,
                    "scenario",
                    &["label", "calendar", "min_gap", "max_age", "mode", "step"],
                ),
            }
        }
        for (step, mode) in sc.steps.iter_mut().zip(step_modes) {
            step.mode = mode.unwrap_or(sc.mode);
        }
        sc
    }

    fn step(&mut self, s: &ast::Step, offset: i64, names: &Names) -> (Step, Option<Mode>) {
        if let Some(w) = &s.when {
            self.condition(w, STEP_CONDITION);
        }
        let mut actions = Vec::new();
        let mut mode = None;
        let mut mode_span: Option<Span> = None;
        for stmt in &s.stmts {
            match stmt {
                ast::StepStmt::Email(e) => {
                    self.template_ref(&e.template);
                    let to = self.recipients(&e.to, false);
                    let cc = self.recipients(&e.cc, false);
                    let mut attach = Vec::new();
                    for a in &e.attach {
                        match a.node.as_str() {
                            "statement" => attach.push(Attachment::Statement),
                            "invoices" => attach.push(Attachment::Invoices),
                            "penalties" => attach.push(Attachment::Penalties),
                            other => self.help(
                                Code::InvalidValue,
                                a.span,
                                format!("unknown attachment `{other}`"),
                                did_you_mean(other, ATTACHMENTS.iter().copied()).or_else(|| {
                                    Some("attachments are statement, invoices, penalties".into())
                                }),
                            ),
                        }
                    }
                    actions.push(Action::Email {
                        template: e.template.node.clone(),
                        to,
                        cc,
                        attach,
                    });
                }
                ast::StepStmt::Letter(t, _) => {
                    self.template_ref(t);
                    actions.push(Action::Letter {
                        template: t.node.clone(),
                    });
                }
                ast::StepStmt::Task(t) => {
                    let assign = t
                        .assign
                        .as_ref()
                        .and_then(|r| self.recipients(std::slice::from_ref(r), true).pop());
                    actions.push(Action::Task {
                        kind: t.kind.node.clone(),
                        assign,
                        note: t.note.as_ref().map(|n| n.node.clone()),
                    });
                }
                ast::StepStmt::Escalate(sc, _) => {
                    self.scenario_ref(sc, names);
                    actions.push(Action::Escalate {
                        scenario: sc.node.clone(),
                    });
                }
                ast::StepStmt::Penalties(_) => actions.push(Action::Penalties),
                ast::StepStmt::Notify(n) => actions.push(self.notify(n)),
                ast::StepStmt::Mode(m) => {
                    if let Some(first) = mode_span {
                        self.error(
                            Code::RepeatedStatement,
                            m.span,
                            "`mode` is given twice in this step",
                        )
                        .labels
                        .push((first, "first given here".into()));
                    }
                    mode_span = Some(m.span);
                    mode = self.mode(m).or(mode);
                }
                ast::StepStmt::Unknown(u) => self.unknown(
                    u,
                    "step",
                    &[
                        "email",
                        "letter",
                        "task",
                        "escalate",
                        "penalties",
                        "notify",
                        "mode",
                    ],
                ),
            }
        }
        if actions.is_empty()
            && !s
                .stmts
                .iter()
                .any(|st| matches!(st, ast::StepStmt::Unknown(_)))
        {
            self.error(
                Code::Missing,
                s.name.span,
                format!("step \"{}\" has no action", s.name.node),
            )
            .help =
                Some("add `email`, `letter`, `task`, `escalate`, `penalties` or `notify`".into());
        }
        let to_customer = actions
            .iter()
            .any(|a| matches!(a, Action::Email { .. } | Action::Letter { .. }));
        if offset < 0 && to_customer && !s.when.as_ref().is_some_and(reads_due_date) {
            self.diags.push(
                Diagnostic::new(
                    Code::UnguardedEarlyStep,
                    s.offset.span,
                    format!(
                        "step \"{}\" comes before the due date and nothing stops it for an item already overdue",
                        s.name.node
                    ),
                )
                .with_help(
                    "an item first chased after its due date reaches this step as a catch-up; \
                     add `when item.days_overdue < 0` so it only goes out before the due date",
                ),
            );
        }
        let step = Step {
            name: s.name.node.clone(),
            offset_days: offset,
            when: s.when.clone(),
            actions,
            mode: Mode::Auto,
            span: s.span,
        };
        (step, mode)
    }

    fn notify(&mut self, n: &ast::Notify) -> Action {
        if let Some(t) = &n.template {
            self.template_ref(t);
        }
        Action::Notify {
            to: self.recipients(&n.to, true),
            template: n.template.as_ref().map(|t| t.node.clone()),
        }
    }

    fn alert(&mut self, a: &ast::Alert) -> Option<AlertDef> {
        let builtin = BUILTIN_ALERTS.iter().find(|(n, _, _)| *n == a.name.node);
        let scope = match (&a.scope, builtin) {
            (Some(s), _) => match s.node.as_str() {
                "item" => Some(Scope::Item),
                "account" => Some(Scope::Account),
                other => {
                    self.help(
                        Code::InvalidValue,
                        s.span,
                        format!("an alert is `for item` or `for account`, not `for {other}`"),
                        did_you_mean(other, ["item", "account"]),
                    );
                    None
                }
            },
            (None, Some((_, scope, _))) => Some(*scope),
            (None, None) => {
                self.error(
                    Code::Missing,
                    a.name.span,
                    format!(
                        "alert \"{}\" needs `for item` or `for account`",
                        a.name.node
                    ),
                );
                None
            }
        };
        if let (Some(s), Some((_, builtin_scope, _)), Some(span)) =
            (scope, builtin, a.scope.as_ref().map(|s| s.span))
            && s != *builtin_scope
        {
            self.error(
                Code::InvalidValue,
                span,
                format!(
                    "built-in alert \"{}\" is for {}",
                    a.name.node,
                    if *builtin_scope == Scope::Item {
                        "item"
                    } else {
                        "account"
                    }
                ),
            );
        }
        let ctx = if scope == Some(Scope::Item) {
            ITEM_CONTEXT
        } else {
            ACCOUNT_ALERT
        };
        let mut def = AlertDef {
            name: a.name.node.clone(),
            scope: scope.unwrap_or(Scope::Account),
            label: None,
            when: None,
            level: builtin.map_or(Level::Medium, |b| b.2),
            notify: Vec::new(),
            builtin: builtin.is_some(),
        };
        let mut seen = BTreeMap::new();
        for stmt in &a.stmts {
            match stmt {
                ast::AlertStmt::Label(l) => {
                    self.once(&mut seen, "label", l.span);
                    def.label = Some(l.node.clone());
                }
                ast::AlertStmt::When(e) => {
                    self.once(&mut seen, "when", e.span);
                    if builtin.is_some() {
                        self.error(
                            Code::InvalidValue,
                            e.span,
                            format!(
                                "built-in alert \"{}\" has a fixed condition; override its label, level and notify only",
                                a.name.node
                            ),
                        );
                    } else {
                        self.condition(e, ctx);
                        def.when = Some(e.clone());
                    }
                }
                ast::AlertStmt::Level(l) => {
                    self.once(&mut seen, "level", l.span);
                    match l.node.as_str() {
                        "low" => def.level = Level::Low,
                        "medium" => def.level = Level::Medium,
                        "high" => def.level = Level::High,
                        other => self.help(
                            Code::InvalidValue,
                            l.span,
                            format!("unknown level `{other}`"),
                            did_you_mean(other, ["low", "medium", "high"])
                                .or_else(|| Some("levels are low, medium, high".into())),
                        ),
                    }
                }
                ast::AlertStmt::Notify(n) => {
                    self.once(&mut seen, "notify", n.span);
                    def.notify = self.recipients(&n.to, true);
                }
                ast::AlertStmt::Unknown(u) => {
                    self.unknown(u, "alert", &["label", "when", "level", "notify"])
                }
            }
        }
        if builtin.is_none() && def.when.is_none() && !seen.contains_key("when") {
            self.error(
                Code::Missing,
                a.name.span,
                format!("alert \"{}\" has no `when` condition", a.name.node),
            );
        }
        scope.map(|_| def)
    }

    fn escalation(&mut self, e: &ast::Escalation, names: &Names) -> Option<EscalationDef> {
        let mut when = None;
        let mut def_label = None;
        let mut switch = None;
        let mut notify = Vec::new();
        let mut seen = BTreeMap::new();
        for stmt in &e.stmts {
            match stmt {
                ast::EscalationStmt::Label(l) => {
                    self.once(&mut seen, "label", l.span);
                    def_label = Some(l.node.clone());
                }
                ast::EscalationStmt::When(w) => {
                    self.once(&mut seen, "when", w.span);
                    self.condition(w, ESCALATION);
                    when = Some(w.clone());
                }
                ast::EscalationStmt::Switch(s) => {
                    self.once(&mut seen, "switch", s.span);
                    self.scenario_ref(s, names);
                    switch = Some(s.node.clone());
                }
                ast::EscalationStmt::Notify(n) => {
                    self.once(&mut seen, "notify", n.span);
                    notify = self.recipients(&n.to, true);
                }
                ast::EscalationStmt::Unknown(u) => {
                    self.unknown(u, "escalation", &["label", "when", "switch", "notify"])
                }
            }
        }
        if switch.is_none() && notify.is_empty() && !seen.contains_key("notify") {
            self.error(
                Code::Missing,
                e.name.span,
                format!(
                    "escalation \"{}\" neither switches scenario nor notifies anyone",
                    e.name.node
                ),
            )
            .help = Some("add `switch \"<scenario>\"` or `notify <role>`".into());
        }
        let Some(when) = when else {
            self.error(
                Code::Missing,
                e.name.span,
                format!("escalation \"{}\" has no `when` condition", e.name.node),
            );
            return None;
        };
        Some(EscalationDef {
            name: e.name.node.clone(),
            label: def_label,
            when,
            switch,
            notify,
        })
    }

    // ------------------------------------------------------------ pieces

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

    fn mode(&mut self, m: &ast::Name) -> Option<Mode> {
        match m.node.as_str() {
            "auto" => Some(Mode::Auto),
            "review" => Some(Mode::Review),
            other => {
                self.help(
                    Code::InvalidValue,
                    m.span,
                    format!("unknown mode `{other}`"),
                    did_you_mean(other, ["auto", "review"])
                        .or_else(|| Some("modes are auto and review".into())),
                );
                None
            }
        }
    }

    fn days(&mut self, d: &Spanned<ast::Duration>, what: &str) -> i64 {
        match d.node.days() {
            Some(n) => n,
            None => {
                self.error(
                    Code::InvalidValue,
                    d.span,
                    format!("`{what}` is counted in days or weeks (`7d`, `2w`), not hours"),
                );
                0
            }
        }
    }

    fn offset(&mut self, o: &Spanned<ast::Offset>) -> i64 {
        if let Some(d) = o.node.duration
            && d.days().is_none()
        {
            self.error(
                Code::InvalidValue,
                o.span,
                "step offsets are counted in days or weeks (`7d`, `2w`), not hours",
            );
        }
        o.node.days()
    }

    fn reference(
        &mut self,
        kind: &str,
        code: Code,
        name: &ast::Name,
        known: &BTreeMap<String, Span>,
    ) -> bool {
        if known.contains_key(&name.node) {
            return true;
        }
        let help = closest(&name.node, known.keys().map(String::as_str))
            .map(|c| format!("did you mean \"{c}\"?"))
            .or_else(|| match known.len() {
                0 => Some(format!("no {kind} is defined")),
                _ => Some(format!(
                    "defined: {}",
                    known
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            });
        self.help(
            code,
            name.span,
            format!("unknown {kind} \"{}\"", name.node),
            help,
        );
        false
    }

    fn scenario_ref(&mut self, name: &ast::Name, names: &Names) -> bool {
        self.reference("scenario", Code::UnknownScenario, name, &names.scenarios)
    }

    /// A template used by a step: it must exist in the fallback language; other
    /// languages without it get a warning (the fallback is used for them).
    fn template_ref(&mut self, name: &ast::Name) {
        let fallback = self.settings_language();
        let in_fallback = self
            .env
            .templates
            .get(&fallback)
            .is_some_and(|t| t.contains(&name.node));
        if !in_fallback {
            let available: Vec<&str> = self
                .env
                .templates
                .get(&fallback)
                .map(|t| t.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let help = closest(&name.node, available.iter().copied())
                .map(|c| format!("did you mean \"{c}\"?"))
                .unwrap_or_else(|| {
                    if available.is_empty() {
                        format!("templates/{fallback}/ has no template")
                    } else {
                        format!("templates/{fallback}/ has: {}", available.join(", "))
                    }
                });
            self.help(
                Code::UnknownTemplate,
                name.span,
                format!(
                    "unknown template \"{}\" for language \"{fallback}\"",
                    name.node
                ),
                Some(help),
            );
            return;
        }
        let missing: Vec<&str> = self
            .env
            .templates
            .iter()
            .filter(|(lang, names)| **lang != fallback && !names.contains(&name.node))
            .map(|(lang, _)| lang.as_str())
            .collect();
        for lang in missing {
            if !self
                .untranslated
                .insert((name.node.clone(), lang.to_string()))
            {
                continue;
            }
            self.diags.push(
                Diagnostic::new(
                    Code::MissingTranslation,
                    name.span,
                    format!("template \"{}\" has no \"{lang}\" translation", name.node),
                )
                .with_help(format!(
                    "customers in \"{lang}\" get the \"{fallback}\" version; add templates/{lang}/{}.html",
                    name.node
                )),
            );
        }
    }

    /// The fallback language (settings are checked before any template reference).
    fn settings_language(&self) -> String {
        self.fallback_language.clone()
    }

    fn recipients(&mut self, list: &[ast::Recipient], internal: bool) -> Vec<Recipient> {
        let mut out = Vec::new();
        for r in list {
            match r {
                ast::Recipient::Address(a) => {
                    if !valid_address(&a.node) {
                        self.error(
                            Code::InvalidValue,
                            a.span,
                            format!("\"{}\" is not an email address", a.node),
                        );
                    }
                    out.push(Recipient::Address(a.node.clone()));
                }
                ast::Recipient::Role(role) => {
                    let name = role.node.as_str();
                    if COLLEAGUE_ROLES.contains(&name) {
                        out.push(Recipient::Colleague(name.to_string()));
                    } else if internal {
                        let help = did_you_mean(name, COLLEAGUE_ROLES.iter().copied()).or_else(|| {
                            Some(if CONTACT_ROLES.contains(&name) {
                                format!("`{name}` is a contact role: colleagues are collector, sales, manager, or write an \"address\"")
                            } else {
                                "colleague roles are collector, sales, manager, or write an \"address\"".into()
                            })
                        });
                        self.help(
                            Code::UnknownRecipient,
                            role.span,
                            format!("`{name}` is not a colleague role"),
                            help,
                        );
                    } else {
                        if !CONTACT_ROLES.contains(&name) {
                            let known = CONTACT_ROLES.iter().chain(COLLEAGUE_ROLES).copied();
                            if let Some(c) = closest(name, known) {
                                self.diags.push(
                                    Diagnostic::new(
                                        Code::SuspiciousRole,
                                        role.span,
                                        format!("no contact role `{name}` is known to relance"),
                                    )
                                    .with_help(format!(
                                        "did you mean `{c}`? (other contact roles are fine when the contacts data has them)"
                                    )),
                                );
                            }
                        }
                        out.push(Recipient::Contact(name.to_string()));
                    }
                }
            }
        }
        out
    }

    // ------------------------------------------------------------ expressions

    fn condition(&mut self, e: &Expr, ctx: Ctx) {
        let ty = self.expr(e, ctx);
        self.expect_type(e, &ty, &Type::Bool, "a condition must be true or false");
    }

    fn expect_type(&mut self, e: &Expr, got: &Type, want: &Type, message: &str) {
        if !compatible(got, want) {
            self.error(
                Code::Type,
                e.span,
                format!("{message}, but this is a {got}"),
            );
        }
    }

    /// The type of an expression, reporting what is wrong inside it. `Any` is
    /// returned after an error so that one mistake is reported once.
    fn expr(&mut self, e: &Expr, ctx: Ctx) -> Type {
        match &e.kind {
            ExprKind::Literal(v) => match v {
                Value::String(_) => Type::Text,
                Value::Number(_) => Type::Number,
                Value::Duration(_) => Type::Duration,
                Value::Date(_) => Type::Date,
                Value::Bool(_) => Type::Bool,
                Value::Null => Type::Null,
                _ => Type::Any,
            },
            ExprKind::List(items) => {
                let mut elem = Type::Any;
                for item in items {
                    let t = self.expr(item, ctx);
                    if elem == Type::Any || elem == Type::Null {
                        elem = t;
                    } else if !compatible(&t, &elem) {
                        self.error(
                            Code::Type,
                            item.span,
                            format!("a list holds values of one type: this {t} is among {elem}s"),
                        );
                    }
                }
                Type::List(Box::new(elem))
            }
            ExprKind::Paren(inner) => self.expr(inner, ctx),
            ExprKind::Var(name) => {
                if name.node == "today" {
                    Type::Date
                } else if schema::ROOTS.contains(&name.node.as_str()) {
                    self.error(
                        Code::UnknownField,
                        name.span,
                        format!(
                            "`{}` needs a field, as in `{}.<field>`",
                            name.node, name.node
                        ),
                    );
                    Type::Any
                } else {
                    let candidates = schema::VARIABLES.iter().chain(schema::ROOTS).copied();
                    self.help(
                        Code::UnknownField,
                        name.span,
                        format!("unknown name `{}`", name.node),
                        did_you_mean(&name.node, candidates),
                    );
                    Type::Any
                }
            }
            ExprKind::Path(parts) => self.path(parts, e.span, ctx),
            ExprKind::Call(name, args) => self.call(name, args, e.span, ctx),
            ExprKind::HookCall(name, args) => {
                for a in args {
                    // Hooks may take whole facts: `hook.penalty(item)`.
                    match &a.kind {
                        ExprKind::Var(v) if schema::ROOTS.contains(&v.node.as_str()) => {
                            if v.node == "item" && !ctx.item {
                                self.error(
                                    Code::UnknownField,
                                    v.span,
                                    format!("`item` is not available in {}", ctx.place),
                                );
                            }
                        }
                        _ => {
                            self.expr(a, ctx);
                        }
                    }
                }
                let arities = self.env.hook_functions.get(&name.node);
                match arities {
                    Some(a) if a.contains(&args.len()) => {}
                    Some(a) => {
                        let takes: Vec<String> = a.iter().map(usize::to_string).collect();
                        self.error(
                            Code::UnknownHookFunction,
                            e.span,
                            format!(
                                "hook function `{}` takes {} argument(s), not {}",
                                name.node,
                                takes.join(" or "),
                                args.len()
                            ),
                        );
                    }
                    None if self.env.hooks_complete => {
                        let known = self.env.hook_functions.keys().map(String::as_str);
                        let help = did_you_mean(&name.node, known).or_else(|| {
                            Some(if self.env.hook_functions.is_empty() {
                                "no hook file defines a function; declare one with `hook \"name\" from \"hooks/file.rhai\"`".into()
                            } else {
                                format!(
                                    "hook files define: {}",
                                    self.env.hook_functions.keys().cloned().collect::<Vec<_>>().join(", ")
                                )
                            })
                        });
                        self.help(
                            Code::UnknownHookFunction,
                            name.span,
                            format!("no hook file defines `{}`", name.node),
                            help,
                        );
                    }
                    None => {}
                }
                Type::Any
            }
            ExprKind::Unary(op, inner) => {
                let t = self.expr(inner, ctx);
                let want = match op {
                    UnaryOp::Not => Type::Bool,
                    UnaryOp::Neg => Type::Number,
                };
                if !compatible(&t, &want) {
                    let what = if *op == UnaryOp::Not { "`not`" } else { "`-`" };
                    self.error(
                        Code::Type,
                        e.span,
                        format!("{what} needs a {want}, not a {t}"),
                    );
                    return Type::Any;
                }
                want
            }
            ExprKind::Binary(op, lhs, rhs) => {
                let l = self.expr(lhs, ctx);
                let r = self.expr(rhs, ctx);
                if matches!(op, BinaryOp::Eq | BinaryOp::Ne | BinaryOp::In) {
                    self.status_literals(lhs, rhs);
                    self.status_literals(rhs, lhs);
                }
                self.binary(*op, &l, &r, e, lhs, rhs)
            }
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        l: &Type,
        r: &Type,
        e: &Expr,
        lhs: &Expr,
        rhs: &Expr,
    ) -> Type {
        use Type::*;
        if *l == Any || *r == Any {
            return match op {
                BinaryOp::Or | BinaryOp::And | BinaryOp::In => Bool,
                o if o.precedence() == 4 => Bool,
                _ => {
                    if *l == Any {
                        r.clone()
                    } else {
                        l.clone()
                    }
                }
            };
        }
        let ops = op.as_str();
        match op {
            BinaryOp::Or | BinaryOp::And => {
                for (t, side) in [(l, lhs), (r, rhs)] {
                    if *t != Bool {
                        self.error(
                            Code::Type,
                            side.span,
                            format!("`{ops}` needs booleans, but this is a {t}"),
                        );
                    }
                }
                Bool
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                if *l == Null || *r == Null {
                    self.diags.push(
                        Diagnostic::new(
                            Code::NullComparison,
                            e.span,
                            "a comparison with null is always false",
                        )
                        .with_help("use `is_null(x)` or `not is_null(x)`"),
                    );
                } else if !compatible(l, r) {
                    self.error(
                        Code::Type,
                        e.span,
                        format!("cannot compare a {l} with a {r}"),
                    );
                }
                Bool
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                if *l == Null || *r == Null {
                    self.diags.push(
                        Diagnostic::new(
                            Code::NullComparison,
                            e.span,
                            "a comparison with null is always false",
                        )
                        .with_help("use `is_null(x)` or `not is_null(x)`"),
                    );
                } else if !compatible(l, r) {
                    self.error(
                        Code::Type,
                        e.span,
                        format!("cannot compare a {l} with a {r}"),
                    );
                } else if matches!(l, Bool | List(_)) {
                    self.error(Code::Type, e.span, format!("`{ops}` does not order {l}s"));
                }
                Bool
            }
            BinaryOp::In => {
                match r {
                    List(elem) if compatible(l, elem) => {}
                    List(elem) => {
                        self.error(
                            Code::Type,
                            e.span,
                            format!("a {l} is never in a list of {elem}s"),
                        );
                    }
                    _ => {
                        self.error(
                            Code::Type,
                            rhs.span,
                            format!("`in` needs a list on its right, not a {r}"),
                        );
                    }
                }
                Bool
            }
            BinaryOp::Add | BinaryOp::Sub => match (l, r) {
                (Number, Number) => Number,
                (Date, Duration) => Date,
                (Duration, Duration) => Duration,
                (Duration, Date) if op == BinaryOp::Add => Date,
                (Date, Date) if op == BinaryOp::Sub => Number,
                _ => {
                    let help = match (l, r) {
                        (Date, Number) | (Number, Date) => {
                            Some("write a duration such as `7d`".to_string())
                        }
                        (Text, _) | (_, Text) => Some(
                            "arithmetic works on numbers, dates and durations, not text"
                                .to_string(),
                        ),
                        _ => None,
                    };
                    self.help(
                        Code::Type,
                        e.span,
                        format!("cannot apply `{ops}` to a {l} and a {r}"),
                        help,
                    );
                    Any
                }
            },
            BinaryOp::Mul | BinaryOp::Div => {
                if *l == Number && *r == Number {
                    Number
                } else {
                    self.error(
                        Code::Type,
                        e.span,
                        format!("cannot apply `{ops}` to a {l} and a {r}"),
                    );
                    Any
                }
            }
        }
    }

    /// `item.status == "promis"`: the string must be a declared status.
    fn status_literals(&mut self, path: &Expr, other: &Expr) {
        let ExprKind::Path(parts) = &path.kind else {
            return;
        };
        if parts.len() != 2 || parts[0].node != "item" || parts[1].node != "status" {
            return;
        }
        let literals: Vec<&Expr> = match &other.kind {
            ExprKind::List(items) => items.iter().collect(),
            _ => vec![other],
        };
        for lit in literals {
            if let ExprKind::Literal(Value::String(name)) = &lit.kind
                && !self.statuses.contains(name)
            {
                let help = closest(name, self.statuses.iter().map(String::as_str))
                    .map(|c| format!("did you mean \"{c}\"?"))
                    .or_else(|| {
                        Some(if self.statuses.is_empty() {
                            "no status is defined; declare it with `status \"name\" { ... }`".into()
                        } else {
                            format!(
                                "defined: {}",
                                self.statuses.iter().cloned().collect::<Vec<_>>().join(", ")
                            )
                        })
                    });
                self.help(
                    Code::UnknownStatus,
                    lit.span,
                    format!("unknown status \"{name}\""),
                    help,
                );
            }
        }
    }

    fn path(&mut self, parts: &[ast::Name], span: Span, ctx: Ctx) -> Type {
        let root = &parts[0];
        if !schema::ROOTS.contains(&root.node.as_str()) {
            let help = did_you_mean(&root.node, schema::ROOTS.iter().copied()).or_else(|| {
                Some("paths start with customer, account, item, contact or settings".into())
            });
            self.help(
                Code::UnknownField,
                root.span,
                format!("unknown name `{}`", root.node),
                help,
            );
            return Type::Any;
        }
        if root.node == "item" && !ctx.item {
            self.error(
                Code::UnknownField,
                root.span,
                format!("`item` is not available in {}", ctx.place),
            )
            .help = Some(
                "only step conditions, item alerts and statuses see an item; use `account.*`"
                    .into(),
            );
            return Type::Any;
        }
        if parts.len() > 2 {
            self.error(
                Code::UnknownField,
                span,
                format!(
                    "`{}` has no sub-fields",
                    parts[..2]
                        .iter()
                        .map(|p| p.node.as_str())
                        .collect::<Vec<_>>()
                        .join(".")
                ),
            );
            return Type::Any;
        }
        let field = &parts[1];
        match schema::field_type(&root.node, &field.node, &self.fields) {
            Some(t) => t,
            None => {
                let names = schema::field_names(&root.node, &self.fields);
                let help = did_you_mean(&field.node, names.iter().copied()).or_else(|| {
                    matches!(root.node.as_str(), "customer" | "item").then(|| {
                        format!(
                            "custom columns must be declared: `field {}.{} text`",
                            root.node, field.node
                        )
                    })
                });
                self.help(
                    Code::UnknownField,
                    field.span,
                    format!("unknown field `{}.{}`", root.node, field.node),
                    help,
                );
                Type::Any
            }
        }
    }

    fn call(&mut self, name: &ast::Name, args: &[Expr], span: Span, ctx: Ctx) -> Type {
        let types: Vec<Type> = args.iter().map(|a| self.expr(a, ctx)).collect();
        let Some((_, arity)) = schema::FUNCTIONS.iter().find(|(n, _)| *n == name.node) else {
            let help =
                did_you_mean(&name.node, schema::FUNCTIONS.iter().map(|(n, _)| *n)).or_else(|| {
                    Some(format!(
                        "functions: {}; hook functions are called as `hook.{}(...)`",
                        schema::FUNCTIONS
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", "),
                        name.node
                    ))
                });
            self.help(
                Code::UnknownFunction,
                name.span,
                format!("unknown function `{}`", name.node),
                help,
            );
            return Type::Any;
        };
        if args.len() != *arity {
            self.error(
                Code::UnknownFunction,
                span,
                format!(
                    "`{}` takes {arity} argument(s), not {}",
                    name.node,
                    args.len()
                ),
            );
            return Type::Any;
        }
        let arg = |i: usize, want: &Type, this: &mut Self| {
            if !compatible(&types[i], want) {
                this.error(
                    Code::Type,
                    args[i].span,
                    format!("`{}` needs a {want}, not a {}", name.node, types[i]),
                );
            }
        };
        match name.node.as_str() {
            "days_since" | "days_until" => {
                arg(0, &Type::Date, self);
                Type::Number
            }
            "lower" => {
                arg(0, &Type::Text, self);
                Type::Text
            }
            "contains" => {
                arg(0, &Type::Text, self);
                arg(1, &Type::Text, self);
                Type::Bool
            }
            "is_null" => Type::Bool,
            _ => {
                // min / max
                let (a, b) = (&types[0], &types[1]);
                let t = if *a == Type::Any {
                    b.clone()
                } else {
                    a.clone()
                };
                if !matches!(t, Type::Number | Type::Date | Type::Any) || !compatible(a, b) {
                    self.error(
                        Code::Type,
                        span,
                        format!(
                            "`{}` needs two numbers or two dates, not a {a} and a {b}",
                            name.node
                        ),
                    );
                    return Type::Any;
                }
                t
            }
        }
    }
}

/// Whether a value of type `got` may stand where `want` is expected.
fn compatible(got: &Type, want: &Type) -> bool {
    match (got, want) {
        (Type::Any, _) | (_, Type::Any) | (Type::Null, _) | (_, Type::Null) => true,
        (Type::List(a), Type::List(b)) => compatible(a, b),
        (a, b) => a == b,
    }
}

/// Whether a condition reads the item's due date (`item.days_overdue`,
/// `item.due_date`): what keeps a step before the due date from firing for
/// an item already overdue.
fn reads_due_date(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Path(parts) => {
            parts.len() == 2
                && parts[0].node == "item"
                && matches!(parts[1].node.as_str(), "days_overdue" | "due_date")
        }
        ExprKind::Literal(_) | ExprKind::Var(_) => false,
        ExprKind::List(list) | ExprKind::Call(_, list) | ExprKind::HookCall(_, list) => {
            list.iter().any(reads_due_date)
        }
        ExprKind::Unary(_, x) | ExprKind::Paren(x) => reads_due_date(x),
        ExprKind::Binary(_, a, b) => reads_due_date(a) || reads_due_date(b),
    }
}

fn offset_text(days: i64) -> String {
    match days {
        0 => "due".into(),
        d if d > 0 => format!("due + {d}d"),
        d => format!("due - {}d", -d),
    }
}

const WEEKDAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tuesday" => Weekday::Tue,
        "wed" | "wednesday" => Weekday::Wed,
        "thu" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    })
}

/// Built-in hashtags (TEMPLATES.md).
pub const BUILTIN_HASHTAGS: &[&str] = &[
    "company_name",
    "customer_name",
    "customer_code",
    "contact_name",
    "contact_email",
    "collector_name",
    "collector_email",
    "collector_phone",
    "today",
    "total_due",
    "total_overdue",
    "balance",
    "total_covered",
    "previous_date",
    "items_list",
    "items_list_overdue",
    "items_list_covered",
    "items_list_collection_grouped",
    "items_list_collection_grouped_splitted",
    "late_penalties",
    "attachments",
    "interactive_link",
    "promise_date",
    "dispute_comment",
];

fn valid_hashtag_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `fr`, `en`, `pt-BR`.
pub fn valid_language(lang: &str) -> bool {
    let (base, region) = match lang.split_once('-') {
        Some((b, r)) => (b, Some(r)),
        None => (lang, None),
    };
    (2..=3).contains(&base.len())
        && base.chars().all(|c| c.is_ascii_lowercase())
        && region.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

/// A plain address: `local@domain.tld`, no spaces.
pub fn valid_address(addr: &str) -> bool {
    let Some((local, domain)) = addr.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !addr
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
        && !domain.contains('@')
}

/// `Name <address>` or a plain address.
fn valid_mailbox(s: &str) -> bool {
    match (s.find('<'), s.strip_suffix('>')) {
        (Some(open), Some(rest)) => valid_address(&rest[open + 1..]),
        (None, None) => valid_address(s.trim()),
        _ => false,
    }
}
