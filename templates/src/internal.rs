//! Internal notifications: the emails relance sends colleagues
//! (docs/reference/templates.md "Internal templates"). Two templates:
//! `digest` (a colleague's day: customer answers, new tasks, reviews,
//! alerts raised and resolved, escalations, `notify` steps) and `alert` (one alert notified at
//! once). Each is built in (`templates/builtin/internal/`, one text whose
//! words come from [`Words`] in every shipped language) and a configuration
//! overrides it per language with `templates/<lang>/internal/<name>.html`
//! (and `.txt`; without one the text part is derived from the HTML).
//!
//! They render with their own context, [`InternalContext`], on a tera
//! instance of their own (the same filters and bounds as customer
//! templates): hashtags are not expanded in them, and customer data is
//! escaped in HTML.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tera::Tera;

use crate::format::Lang;
use crate::front_matter;
use crate::load::{LoadError, error_chain};
use crate::render::{RenderError, Rendered};
use crate::scan::{Problem, TemplateFile};

/// The internal templates.
pub const NAMES: &[&str] = &["digest", "alert"];

/// The built-in templates: name, HTML, text.
const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "digest",
        include_str!("../builtin/internal/digest.html"),
        include_str!("../builtin/internal/digest.txt"),
    ),
    (
        "alert",
        include_str!("../builtin/internal/alert.html"),
        include_str!("../builtin/internal/alert.txt"),
    ),
];

/// `en/internal/digest.html` → `("en", "digest")`; other paths → `None`.
pub fn internal_template(path: &str) -> Option<(&str, &str)> {
    let (lang, rest) = path.split_once('/')?;
    let file = rest.strip_prefix("internal/")?;
    if lang == "partials" || file.contains('/') {
        return None;
    }
    let name = file
        .strip_suffix(".html")
        .or_else(|| file.strip_suffix(".txt"))?;
    Some((lang, name))
}

pub use crate::load::is_internal;

/// One thing a colleague is told, as the templates show it (and as the
/// store keeps it, in `notices.entry`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// `task`, `review`, `alert_raised`, `alert_resolved`, `escalation`,
    /// `notify`, `customer_answer`.
    pub kind: String,
    /// The account code.
    pub account: String,
    /// The account's customer name.
    pub name: String,
    /// The account's page in the workspace.
    pub link: String,
    /// What it is: the task's kind, `scenario / step`, the alert's or
    /// escalation's label.
    pub title: String,
    /// More: the task's note, why the alert holds, the template...
    #[serde(default)]
    pub detail: Option<String>,
    /// The alert's level (`high`, `medium`, `low`), for alerts.
    #[serde(default)]
    pub level: Option<String>,
    /// The level in the message's language (filled when rendering).
    #[serde(default)]
    pub level_label: Option<String>,
    /// The items concerned (references).
    #[serde(default)]
    pub items: Vec<String>,
    /// The day it happened (ISO).
    pub date: String,
    /// The colleague's name, as the account's colleagues list it.
    #[serde(default)]
    pub colleague_name: Option<String>,
}

/// Words of the built-in templates in one language.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Words {
    /// `Hello`.
    pub hello: &'static str,
    /// The digest's name, in its subject.
    pub digest: &'static str,
    /// The digest's first line.
    pub intro: &'static str,
    /// Section: new tasks.
    pub tasks: &'static str,
    /// Section: actions waiting for review.
    pub reviews: &'static str,
    /// Section: alerts raised.
    pub alerts_raised: &'static str,
    /// Section: alerts resolved.
    pub alerts_resolved: &'static str,
    /// Section: escalations.
    pub escalations: &'static str,
    /// Section: answers customers gave on their page.
    pub answers: &'static str,
    /// Section: `notify` steps.
    pub notifications: &'static str,
    /// `tasks`, in the subject's counts.
    pub tasks_short: &'static str,
    /// `customer answers`, in the subject.
    pub answers_short: &'static str,
    /// `to review`, in the subject's counts.
    pub reviews_short: &'static str,
    /// `alerts`, in the subject's counts.
    pub alerts_short: &'static str,
    /// `Alert`, in an immediate alert's subject.
    pub alert: &'static str,
    /// `level`.
    pub level: &'static str,
    /// `Items`.
    pub items: &'static str,
    /// Levels: high, medium, low.
    #[serde(skip)]
    levels: [&'static str; 3],
}

const WORDS: &[(&str, Words)] = &[
    (
        "en",
        Words {
            hello: "Hello",
            digest: "Daily digest",
            intro: "Here is what needs you in relance today.",
            tasks: "New tasks",
            reviews: "Waiting for your review",
            alerts_raised: "Alerts raised",
            alerts_resolved: "Alerts resolved",
            escalations: "Escalations",
            answers: "Customer answers",
            notifications: "Notifications",
            tasks_short: "tasks",
            answers_short: "customer answers",
            reviews_short: "to review",
            alerts_short: "alerts",
            alert: "Alert",
            level: "level",
            items: "Items",
            levels: ["high", "medium", "low"],
        },
    ),
    (
        "fr",
        Words {
            hello: "Bonjour",
            digest: "Récapitulatif du jour",
            intro: "Voici ce qui vous attend aujourd'hui dans relance.",
            tasks: "Nouvelles tâches",
            reviews: "En attente de votre validation",
            alerts_raised: "Alertes levées",
            alerts_resolved: "Alertes résolues",
            escalations: "Escalades",
            answers: "Réponses des clients",
            notifications: "Notifications",
            tasks_short: "tâches",
            answers_short: "réponses clients",
            reviews_short: "à valider",
            alerts_short: "alertes",
            alert: "Alerte",
            level: "niveau",
            items: "Pièces",
            levels: ["haut", "moyen", "bas"],
        },
    ),
    (
        "de",
        Words {
            hello: "Hallo",
            digest: "Tagesübersicht",
            intro: "Das wartet heute in relance auf Sie.",
            tasks: "Neue Aufgaben",
            reviews: "Warten auf Ihre Prüfung",
            alerts_raised: "Neue Warnungen",
            alerts_resolved: "Erledigte Warnungen",
            escalations: "Eskalationen",
            answers: "Antworten von Kunden",
            notifications: "Benachrichtigungen",
            tasks_short: "Aufgaben",
            answers_short: "Kundenantworten",
            reviews_short: "zu prüfen",
            alerts_short: "Warnungen",
            alert: "Warnung",
            level: "Stufe",
            items: "Posten",
            levels: ["hoch", "mittel", "niedrig"],
        },
    ),
    (
        "es",
        Words {
            hello: "Hola",
            digest: "Resumen del día",
            intro: "Esto es lo que le espera hoy en relance.",
            tasks: "Tareas nuevas",
            reviews: "Pendientes de su revisión",
            alerts_raised: "Alertas nuevas",
            alerts_resolved: "Alertas resueltas",
            escalations: "Escalados",
            answers: "Respuestas de clientes",
            notifications: "Notificaciones",
            tasks_short: "tareas",
            answers_short: "respuestas de clientes",
            reviews_short: "por revisar",
            alerts_short: "alertas",
            alert: "Alerta",
            level: "nivel",
            items: "Partidas",
            levels: ["alto", "medio", "bajo"],
        },
    ),
    (
        "it",
        Words {
            hello: "Buongiorno",
            digest: "Riepilogo del giorno",
            intro: "Ecco cosa la aspetta oggi in relance.",
            tasks: "Nuove attività",
            reviews: "In attesa della sua revisione",
            alerts_raised: "Nuovi avvisi",
            alerts_resolved: "Avvisi risolti",
            escalations: "Escalation",
            answers: "Risposte dei clienti",
            notifications: "Notifiche",
            tasks_short: "attività",
            answers_short: "risposte dei clienti",
            reviews_short: "da rivedere",
            alerts_short: "avvisi",
            alert: "Avviso",
            level: "livello",
            items: "Partite",
            levels: ["alto", "medio", "basso"],
        },
    ),
    (
        "nl",
        Words {
            hello: "Hallo",
            digest: "Dagoverzicht",
            intro: "Dit wacht vandaag op u in relance.",
            tasks: "Nieuwe taken",
            reviews: "Wachten op uw controle",
            alerts_raised: "Nieuwe waarschuwingen",
            alerts_resolved: "Opgeloste waarschuwingen",
            escalations: "Escalaties",
            answers: "Antwoorden van klanten",
            notifications: "Meldingen",
            tasks_short: "taken",
            answers_short: "klantantwoorden",
            reviews_short: "te controleren",
            alerts_short: "waarschuwingen",
            alert: "Waarschuwing",
            level: "niveau",
            items: "Posten",
            levels: ["hoog", "middel", "laag"],
        },
    ),
    (
        "pt",
        Words {
            hello: "Olá",
            digest: "Resumo do dia",
            intro: "Eis o que o espera hoje no relance.",
            tasks: "Novas tarefas",
            reviews: "À espera da sua revisão",
            alerts_raised: "Novos alertas",
            alerts_resolved: "Alertas resolvidos",
            escalations: "Escalamentos",
            answers: "Respostas dos clientes",
            notifications: "Notificações",
            tasks_short: "tarefas",
            answers_short: "respostas de clientes",
            reviews_short: "por rever",
            alerts_short: "alertas",
            alert: "Alerta",
            level: "nível",
            items: "Documentos",
            levels: ["alto", "médio", "baixo"],
        },
    ),
];

impl Words {
    /// The words of a language code; English for a language relance does not know.
    pub fn of(code: &str) -> Words {
        let base = code.split(['-', '_']).next().unwrap_or(code);
        WORDS
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(base))
            .or(WORDS.first())
            .map(|(_, w)| *w)
            .unwrap_or(WORDS[0].1)
    }

    /// The languages that have built-in words.
    pub fn languages() -> impl Iterator<Item = &'static str> {
        WORDS.iter().map(|(c, _)| *c)
    }

    /// A level (`high`...) in this language.
    pub fn level(&self, level: &str) -> String {
        match level {
            "high" => self.levels[0].to_string(),
            "medium" => self.levels[1].to_string(),
            "low" => self.levels[2].to_string(),
            other => other.to_string(),
        }
    }
}

/// The colleague a message goes to.
#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    /// The address.
    pub email: String,
    /// The name (the address when the data has none).
    pub name: String,
}

/// Counts of a message's entries, for its subject.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// New tasks.
    pub tasks: usize,
    /// Actions waiting for review.
    pub reviews: usize,
    /// Alerts raised and resolved.
    pub alerts: usize,
    /// Escalations.
    pub escalations: usize,
    /// Answers customers gave on their page.
    pub answers: usize,
    /// `notify` steps.
    pub notifications: usize,
    /// Every entry.
    pub total: usize,
}

/// A titled group of entries (the digest's sections, in a fixed order).
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// `answers`, `tasks`, `reviews`, `alerts_raised`, `alerts_resolved`, `escalations`, `notifications`.
    pub key: &'static str,
    /// Its title in the message's language.
    pub title: &'static str,
    /// Its entries, oldest first.
    pub entries: Vec<Entry>,
}

/// What an internal template renders.
#[derive(Debug, Clone, Serialize)]
pub struct InternalContext {
    /// The company (settings `company`).
    pub company: String,
    /// Who it goes to.
    pub colleague: Recipient,
    /// The day, written long in the message's language.
    pub date: String,
    /// The language code.
    pub language: String,
    /// The built-in words in that language.
    pub words: Words,
    /// Counts, for the subject.
    pub counts: Counts,
    /// New tasks.
    pub tasks: Vec<Entry>,
    /// Actions waiting for review.
    pub reviews: Vec<Entry>,
    /// Alerts raised.
    pub alerts_raised: Vec<Entry>,
    /// Alerts resolved.
    pub alerts_resolved: Vec<Entry>,
    /// Escalations.
    pub escalations: Vec<Entry>,
    /// Answers customers gave on their page (promises, disputes, payments claimed).
    pub answers: Vec<Entry>,
    /// `notify` steps.
    pub notifications: Vec<Entry>,
    /// The same seven lists, titled, in that order (customer answers first).
    pub sections: Vec<Section>,
    /// The alert of an immediate message (the first entry), else `None`.
    pub alert: Option<Entry>,
}

impl InternalContext {
    /// The context of a message carrying `entries` to a colleague on `day`,
    /// in `language`.
    pub fn new(
        company: &str,
        colleague: Recipient,
        day: NaiveDate,
        language: &str,
        entries: Vec<Entry>,
    ) -> InternalContext {
        let words = Words::of(language);
        let mut lists: BTreeMap<&str, Vec<Entry>> = BTreeMap::new();
        let alert = entries.first().cloned().map(|mut e| {
            e.level_label = e.level.as_deref().map(|l| words.level(l));
            e
        });
        for mut e in entries {
            e.level_label = e.level.as_deref().map(|l| words.level(l));
            let key = match e.kind.as_str() {
                "task" => "tasks",
                "review" => "reviews",
                "alert_raised" => "alerts_raised",
                "alert_resolved" => "alerts_resolved",
                "escalation" => "escalations",
                "customer_answer" => "answers",
                _ => "notifications",
            };
            lists.entry(key).or_default().push(e);
        }
        let mut take = |k: &str| lists.remove(k).unwrap_or_default();
        let answers = take("answers");
        let (tasks, reviews, alerts_raised, alerts_resolved, escalations, notifications) = (
            take("tasks"),
            take("reviews"),
            take("alerts_raised"),
            take("alerts_resolved"),
            take("escalations"),
            take("notifications"),
        );
        let counts = Counts {
            tasks: tasks.len(),
            reviews: reviews.len(),
            alerts: alerts_raised.len() + alerts_resolved.len(),
            escalations: escalations.len(),
            answers: answers.len(),
            notifications: notifications.len(),
            total: answers.len()
                + tasks.len()
                + reviews.len()
                + alerts_raised.len()
                + alerts_resolved.len()
                + escalations.len()
                + notifications.len(),
        };
        let sections = vec![
            section("answers", words.answers, &answers),
            section("tasks", words.tasks, &tasks),
            section("reviews", words.reviews, &reviews),
            section("alerts_raised", words.alerts_raised, &alerts_raised),
            section("alerts_resolved", words.alerts_resolved, &alerts_resolved),
            section("escalations", words.escalations, &escalations),
            section("notifications", words.notifications, &notifications),
        ];
        InternalContext {
            company: company.to_string(),
            colleague,
            date: Lang::of(language).long_date(day),
            language: language.to_string(),
            words,
            counts,
            tasks,
            reviews,
            alerts_raised,
            alerts_resolved,
            escalations,
            answers,
            notifications,
            sections,
            alert,
        }
    }

    /// A context with one entry of every kind, for checking templates.
    pub fn sample(language: &str) -> InternalContext {
        let entry = |kind: &str, level: Option<&str>| Entry {
            kind: kind.into(),
            account: "C0001".into(),
            name: "Sample & Co".into(),
            link: "https://relance.example/ui/accounts/C0001".into(),
            title: "Sample".into(),
            detail: Some("A detail".into()),
            level: level.map(str::to_string),
            level_label: None,
            items: vec!["INV-1".into()],
            date: "2026-11-09".into(),
            colleague_name: Some("Julie".into()),
        };
        InternalContext::new(
            "ACME",
            Recipient {
                email: "julie@acme.example".into(),
                name: "Julie".into(),
            },
            NaiveDate::from_ymd_opt(2026, 11, 9).unwrap_or_default(),
            language,
            vec![
                entry("alert_raised", Some("high")),
                entry("task", None),
                entry("review", None),
                entry("alert_resolved", Some("medium")),
                entry("escalation", None),
                entry("notify", None),
                entry("customer_answer", None),
            ],
        )
    }
}

fn section(key: &'static str, title: &'static str, entries: &[Entry]) -> Section {
    Section {
        key,
        title,
        entries: entries.to_vec(),
    }
}

/// One template's compiled parts.
#[derive(Debug, Clone, Default)]
struct Parts {
    /// Tera name of the HTML body.
    html: Option<String>,
    /// Tera name of the text body.
    txt: Option<String>,
    /// Tera name of the subject.
    subject: Option<String>,
}

/// The internal templates, built in and overridden, compiled once.
#[derive(Clone)]
pub struct Internal {
    /// Every part compiled.
    tera: Tera,
    /// `(language, name)` → its parts; `("", name)` is the built-in one.
    parts: BTreeMap<(String, String), Parts>,
}

impl std::fmt::Debug for Internal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Internal")
            .field("parts", &self.parts.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Internal {
    /// The built-in templates with a configuration's overrides: every file
    /// under `templates/` handed in (paths relative to it); only
    /// `<lang>/internal/<name>.html|txt` are read.
    pub fn load<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Internal, LoadError> {
        let mut sources: Vec<(String, String)> = Vec::new();
        let mut parts: BTreeMap<(String, String), Parts> = BTreeMap::new();
        let builtin = BUILTIN.iter().flat_map(|(name, html, txt)| {
            [
                (format!("builtin/{name}.html"), "", *name, *html),
                (format!("builtin/{name}.txt"), "", *name, *txt),
            ]
        });
        let overrides = files.into_iter().filter_map(|(path, text)| {
            let (lang, name) = internal_template(path)?;
            Some((format!("internal/{path}"), lang, name, text))
        });
        let all: Vec<(String, &str, &str, &str)> = builtin.chain(overrides).collect();
        for (tera_name, lang, name, text) in &all {
            let (fm, errors) = front_matter::parse(text);
            if let Some(e) = errors.first() {
                return Err(LoadError {
                    path: tera_name.clone(),
                    message: e.message.clone(),
                });
            }
            let body = &text[fm.range.end.min(text.len())..];
            sources.push((tera_name.clone(), body.to_string()));
            let entry = parts
                .entry((lang.to_string(), name.to_string()))
                .or_default();
            let html = tera_name.ends_with(".html");
            if html {
                entry.html = Some(tera_name.clone());
            } else {
                entry.txt = Some(tera_name.clone());
            }
            if let Some(subject) = fm.get("subject").filter(|s| !s.trim().is_empty())
                && (entry.subject.is_none() || html)
            {
                let subject_name = format!("{tera_name}@subject");
                sources.push((subject_name.clone(), subject.to_string()));
                entry.subject = Some(subject_name);
            }
        }
        let tera = crate::load::compile(&sources)?;
        Ok(Internal { tera, parts })
    }

    /// Renders `name` (`digest`, `alert`) for a context, in the context's
    /// language: that language's override, else the built-in one.
    pub fn render(&self, name: &str, ctx: &InternalContext) -> Result<Rendered, RenderError> {
        let parts = self
            .parts
            .get(&(ctx.language.clone(), name.to_string()))
            .or_else(|| self.parts.get(&(String::new(), name.to_string())))
            .ok_or_else(|| RenderError::Missing {
                template: format!("internal/{name}"),
                language: ctx.language.clone(),
            })?;
        let mut tc = tera::Context::from_serialize(ctx).map_err(|e| RenderError::Tera {
            file: name.to_string(),
            message: error_chain(&e),
        })?;
        tc.insert("lang", &ctx.language);
        let _budget = crate::limits::MessageBudget::start();
        let run = |tera_name: &str| crate::render::bounded(&self.tera, tera_name, &tc);
        let subject = match &parts.subject {
            Some(n) => crate::render::one_line(&run(n)?),
            None => String::new(),
        };
        let html = match &parts.html {
            Some(n) => run(n)?,
            None => String::new(),
        };
        let text = match &parts.txt {
            Some(n) => run(n)?,
            None => crate::text::from_html(&html),
        };
        Ok(Rendered {
            language: ctx.language.clone(),
            subject,
            reply_to: None,
            html,
            text,
        })
    }

    /// Renders every template in every shipped language (and each override
    /// in its own) for a sample context; what fails.
    pub fn trial(&self) -> Vec<RenderError> {
        let mut languages: Vec<String> = Words::languages().map(str::to_string).collect();
        languages.extend(
            self.parts
                .keys()
                .map(|(l, _)| l.clone())
                .filter(|l| !l.is_empty()),
        );
        languages.sort();
        languages.dedup();
        let mut failed = Vec::new();
        for lang in &languages {
            let ctx = InternalContext::sample(lang);
            for name in NAMES {
                if let Err(e) = self.render(name, &ctx) {
                    failed.push(e);
                }
            }
        }
        failed
    }
}

/// Checks a configuration's internal templates for `relance check`: names
/// (`digest`, `alert`), front matter, tera syntax, and a trial rendering of
/// each against a sample context (an unknown variable fails it). `files`
/// are every file under `templates/`; problems point into them.
pub fn check(files: &[TemplateFile<'_>]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut own: Vec<(&str, &str)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        if !is_internal(f.path) {
            continue;
        }
        let Some((_, name)) = internal_template(f.path).filter(|(_, n)| NAMES.contains(n)) else {
            problems.push(Problem {
                file: Some(i),
                range: 0..0,
                message: format!(
                    "templates/{} is no internal template: internal/ holds digest.html, digest.txt, alert.html and alert.txt",
                    f.path
                ),
            });
            continue;
        };
        let _ = name;
        let (_, errors) = front_matter::parse(f.text);
        problems.extend(errors.into_iter().map(|e| Problem {
            file: Some(i),
            range: e.range,
            message: e.message,
        }));
        own.push((f.path, f.text));
    }
    if !problems.is_empty() {
        return problems;
    }
    let place = |file: &str| {
        let path = file
            .trim_start_matches("internal/")
            .split('@')
            .next()
            .unwrap_or(file);
        files.iter().position(|f| f.path == path)
    };
    match Internal::load(own) {
        Err(e) => problems.push(Problem {
            file: place(&e.path),
            range: 0..0,
            message: format!("internal template: {}", e.message),
        }),
        Ok(internal) => {
            for e in internal.trial() {
                let file = match &e {
                    RenderError::Tera { file, .. } | RenderError::Bounded { file, .. } => {
                        place(file)
                    }
                    RenderError::Missing { .. } => None,
                };
                problems.push(Problem {
                    file,
                    range: 0..0,
                    message: format!("internal template: {e}"),
                });
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: &str, level: Option<&str>) -> Entry {
        Entry {
            kind: kind.into(),
            account: "C0001".into(),
            name: "<b>Dupont</b> & fils".into(),
            link: "https://relance.example/ui/accounts/C0001".into(),
            title: "call".into(),
            detail: Some("Call <them>".into()),
            level: level.map(str::to_string),
            level_label: None,
            items: vec!["INV-1".into(), "INV-2".into()],
            date: "2026-11-09".into(),
            colleague_name: None,
        }
    }

    fn ctx(language: &str, entries: Vec<Entry>) -> InternalContext {
        InternalContext::new(
            "ACME",
            Recipient {
                email: "julie@acme.example".into(),
                name: "Julie".into(),
            },
            NaiveDate::from_ymd_opt(2026, 11, 9).expect("a date"),
            language,
            entries,
        )
    }

    #[test]
    fn the_built_in_digest_groups_entries_counts_them_in_the_subject_and_escapes_customer_data() {
        let internal = Internal::load([]).expect("built-ins load");
        let r = internal
            .render(
                "digest",
                &ctx(
                    "en",
                    vec![
                        entry("task", None),
                        entry("review", None),
                        entry("alert_raised", Some("medium")),
                    ],
                ),
            )
            .expect("renders");
        assert_eq!(
            r.subject,
            "Daily digest 9 November 2026: 1 tasks, 1 to review, 1 alerts"
        );
        assert!(r.html.contains("<h2>New tasks (1)</h2>"), "{}", r.html);
        assert!(
            r.html.contains("&lt;b&gt;Dupont&lt;/b&gt; &amp; fils"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("<b>Dupont"), "{}", r.html);
        assert!(
            r.html.contains(
                "href=\"https:&#x2F;&#x2F;relance.example&#x2F;ui&#x2F;accounts&#x2F;C0001\""
            ) || r
                .html
                .contains("href=\"https://relance.example/ui/accounts/C0001\""),
            "{}",
            r.html
        );
        assert!(
            r.text.contains("- C0001 <b>Dupont</b> & fils: call"),
            "{}",
            r.text
        );
        assert!(
            r.text
                .contains("  https://relance.example/ui/accounts/C0001"),
            "{}",
            r.text
        );
        assert!(!r.text.contains("Escalations"), "{}", r.text);
    }

    #[test]
    fn every_shipped_language_has_its_words() {
        let internal = Internal::load([]).expect("built-ins load");
        for lang in Words::languages() {
            let r = internal
                .render(
                    "alert",
                    &ctx(lang, vec![entry("alert_raised", Some("high"))]),
                )
                .expect("renders");
            let words = Words::of(lang);
            assert!(r.subject.starts_with(words.alert), "{lang}: {}", r.subject);
            assert!(r.text.contains(&words.level("high")), "{lang}: {}", r.text);
            if lang != "en" {
                assert!(!r.text.contains("Hello"), "{lang}: {}", r.text);
            }
        }
        assert!(internal.trial().is_empty(), "{:?}", internal.trial());
    }

    #[test]
    fn a_configuration_overrides_a_template_in_its_language() {
        let files = [(
            "fr/internal/digest.html",
            "---\nsubject: Pour {{ colleague.name }}\n---\n<p>{{ counts.total }}</p>",
        )];
        let internal = Internal::load(files).expect("loads");
        let fr = internal
            .render("digest", &ctx("fr", vec![entry("task", None)]))
            .expect("renders");
        assert_eq!(fr.subject, "Pour Julie");
        assert_eq!(fr.text.trim(), "1");
        let en = internal
            .render("digest", &ctx("en", vec![entry("task", None)]))
            .expect("renders");
        assert!(en.subject.starts_with("Daily digest"));
    }

    #[test]
    fn check_names_a_bad_variable_and_a_file_that_is_no_internal_template() {
        let files = [
            TemplateFile {
                path: "en/internal/digest.html",
                text: "<p>{{ colleague.nme }}</p>",
            },
            TemplateFile {
                path: "en/reminder_1.html",
                text: "<p>x</p>",
            },
        ];
        let problems = check(&files);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].file, Some(0));
        assert!(problems[0].message.contains("nme"), "{problems:?}");
        let other = [TemplateFile {
            path: "en/internal/weekly.html",
            text: "x",
        }];
        let problems = check(&other);
        assert!(
            problems[0].message.contains("no internal template"),
            "{problems:?}"
        );
    }
}
