//! The checked configuration: what the planner, the worker and the templates
//! use. Built only by [`crate::check`], so every name in it resolves, every
//! expression type-checks, and defaults are filled in.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime, Weekday};

use crate::ast::Expr;
use crate::source::Span;

/// A whole, valid configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `settings { ... }` with defaults applied.
    pub settings: Settings,
    /// Business calendars by name.
    pub calendars: BTreeMap<String, Calendar>,
    /// Declared custom fields.
    pub fields: Vec<FieldDef>,
    /// Statuses by name.
    pub statuses: BTreeMap<String, StatusDef>,
    /// `assign` rules in file order (first match wins; files in path order).
    pub assigns: Vec<AssignRule>,
    /// Hook files by hook name.
    pub hooks: BTreeMap<String, HookDef>,
    /// Custom hashtags by name.
    pub hashtags: BTreeMap<String, HashtagDef>,
    /// Scenarios by name.
    pub scenarios: BTreeMap<String, Scenario>,
    /// Alerts by name, the built-in ones included.
    pub alerts: BTreeMap<String, AlertDef>,
    /// Escalation rules by name.
    pub escalations: BTreeMap<String, EscalationDef>,
}

/// Platform-wide settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Company name (`#company_name`).
    pub company: Option<String>,
    /// Sender of customer emails, `Name <address>` or an address.
    pub from: Option<String>,
    /// Default timezone of customers.
    pub timezone: chrono_tz::Tz,
    /// Platform currency (ISO 4217).
    pub currency: String,
    /// Fallback template language.
    pub language: String,
    /// Default business calendar, if any.
    pub calendar: Option<String>,
    /// Scenario of accounts no rule assigns; `None` only when there is no scenario.
    pub default_scenario: Option<String>,
    /// Local hours in which emails may leave.
    pub send_window: Option<(NaiveTime, NaiveTime)>,
    /// Sends are held when the last items import is older than this many hours.
    pub max_data_age_hours: Option<i64>,
    /// Conversion rates to the platform currency, by currency code.
    pub rates: BTreeMap<String, rust_decimal::Decimal>,
    /// Where the workspace is reached (`public_url`), without a trailing
    /// `/`: internal notifications link to `{public_url}/ui/accounts/{code}`;
    /// `None`: they link with the relative path `/ui/accounts/{code}`.
    pub public_url: Option<String>,
    /// Alerts of this level or above are notified at once, each in its own
    /// internal email (`notify_immediately`, default `high`); `None`
    /// (`notify_immediately none`): every notice waits for the daily digest.
    pub notify_immediately: Option<Level>,
    /// How long a signed download link stays valid (`link_expiry`, default
    /// `30d`), in hours.
    pub link_expiry_hours: i64,
    /// How many days after its item is cleared an attached file is purged
    /// (`files_kept_after_clearing`, default `180d`, about six months).
    pub files_kept_days: i64,
    /// The most bytes of files `attach invoices` puts into one email as
    /// MIME parts (`attach_budget_mb`, default 10); the rest are linked.
    pub attach_budget_bytes: u64,
    /// How far ahead a customer may promise to pay on the customer page
    /// (`promise_limit`, default `30d`), in days.
    pub promise_limit_days: i64,
    /// The status a promise made on the customer page gives
    /// (`promise_status`); `None`: the status named `promise`, if declared.
    pub promise_status: Option<String>,
    /// The status a dispute opened on the customer page gives
    /// (`dispute_status`); `None`: the status named `dispute`, if declared.
    pub dispute_status: Option<String>,
    /// The status an "I already paid" answer gives (`paid_status`); `None`:
    /// the claim is recorded (history, the collector told) and the items
    /// keep their status.
    pub paid_status: Option<String>,
    /// The reasons a customer picks from to dispute an item
    /// (`dispute_reasons "…", "…"`); empty: the page's built-in list.
    pub dispute_reasons: Vec<String>,
}

/// `link_expiry` when the settings do not give it: 30 days.
pub const DEFAULT_LINK_EXPIRY_HOURS: i64 = 30 * 24;

/// `files_kept_after_clearing` when the settings do not give it: 180 days.
pub const DEFAULT_FILES_KEPT_DAYS: i64 = 180;

/// `attach_budget_mb` when the settings do not give it: 10 MB.
pub const DEFAULT_ATTACH_BUDGET_BYTES: u64 = 10 * 1024 * 1024;

/// `promise_limit` when the settings do not give it: 30 days.
pub const DEFAULT_PROMISE_LIMIT_DAYS: i64 = 30;

/// A text as one URL path segment: every byte but `A-Z a-z 0-9 - . _ ~`
/// percent-encoded.
pub fn path_segment(text: &str) -> String {
    let mut segment = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            segment.push(char::from(b));
        } else {
            segment.push_str(&format!("%{b:02X}"));
        }
    }
    segment
}

/// The workspace link of an account: `{public_url}/ui/accounts/{code}`, or
/// the relative path without a public URL; the code percent-encoded as a
/// path segment.
pub fn account_link(public_url: Option<&str>, code: &str) -> String {
    format!(
        "{}/ui/accounts/{}",
        public_url.unwrap_or(""),
        path_segment(code)
    )
}

impl Settings {
    /// The workspace link of an account: `{public_url}/ui/accounts/{code}`,
    /// or the relative path without `public_url`. The code is
    /// percent-encoded as a path segment.
    pub fn account_link(&self, code: &str) -> String {
        account_link(self.public_url.as_deref(), code)
    }

    /// Whether an alert of `level` is notified at once.
    pub fn immediate(&self, level: Level) -> bool {
        self.notify_immediately.is_some_and(|min| level >= min)
    }
}

/// A business calendar.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// Days that are never business days.
    pub weekend: Vec<Weekday>,
    /// Public holidays.
    pub holidays: Vec<NaiveDate>,
}

/// What a custom field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FieldTarget {
    /// `customer.<name>`
    Customer,
    /// `item.<name>`
    Item,
}

/// The type of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// Numbers and amounts.
    Number,
    /// Text.
    Text,
    /// `true` / `false`.
    Bool,
    /// Calendar dates.
    Date,
    /// `7d`, `36h`.
    Duration,
    /// `[a, b]`.
    List(Box<Type>),
    /// The `null` literal.
    Null,
    /// Unknown until run time (hook results).
    Any,
}

impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Type::Number => f.write_str("number"),
            Type::Text => f.write_str("text"),
            Type::Bool => f.write_str("boolean"),
            Type::Date => f.write_str("date"),
            Type::Duration => f.write_str("duration"),
            Type::List(t) => match **t {
                Type::Any | Type::Null | Type::List(_) => f.write_str("list"),
                Type::Bool => f.write_str("list of booleans"),
                ref t => write!(f, "list of {t}s"),
            },
            Type::Null => f.write_str("null"),
            Type::Any => f.write_str("any value"),
        }
    }
}

/// `field customer.segment text`
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// Customer or item.
    pub target: FieldTarget,
    /// The column name in the CSV.
    pub name: String,
    /// Its type.
    pub ty: Type,
}

/// What a status does to collection.
#[derive(Debug, Clone)]
pub enum StatusEffect {
    /// The status only qualifies the item.
    None,
    /// Collection pauses while the status is set, or until the date when given.
    Suspends(Option<Expr>),
    /// The item leaves automated collection.
    Excludes,
}

/// `status "name" { ... }`
#[derive(Debug, Clone)]
pub struct StatusDef {
    /// Name as found in the items data.
    pub name: String,
    /// Human label, in the settings' language: customers read it in tables.
    pub label: Option<String>,
    /// The label in other languages (language → text), so that a customer
    /// reads it in the language of the message.
    pub labels: BTreeMap<String, String>,
    /// Effect on collection.
    pub effect: StatusEffect,
}

impl StatusDef {
    /// The label to show in `lang`: its translation, else the default label.
    pub fn label_for(&self, lang: &str) -> Option<&str> {
        self.labels
            .get(lang)
            .or(self.label.as_ref())
            .map(String::as_str)
    }
}

/// `assign "scenario" when <expr>`
#[derive(Debug, Clone)]
pub struct AssignRule {
    /// Scenario given to matching accounts.
    pub scenario: String,
    /// Condition over customer, account, contact and settings.
    pub when: Expr,
}

/// `hook "name" from "path"`
#[derive(Debug, Clone)]
pub struct HookDef {
    /// Hook name.
    pub name: String,
    /// The rhai file, relative to the configuration directory.
    pub path: String,
}

/// What a custom hashtag expands to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashtagBody {
    /// Literal text (escaped in HTML).
    Text(String),
    /// A template under `templates/`, rendered with the email's context.
    Template(String),
}

/// `hashtag "name" { ... }`
#[derive(Debug, Clone)]
pub struct HashtagDef {
    /// Name, without `#`.
    pub name: String,
    /// Expansion.
    pub body: HashtagBody,
}

/// Whether actions execute at once or wait for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Actions execute.
    Auto,
    /// Actions wait for approval.
    Review,
}

impl Mode {
    /// `auto` / `review`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Review => "review",
        }
    }
}

/// `scenario "name" { ... }`
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name.
    pub name: String,
    /// Human label.
    pub label: Option<String>,
    /// Calendar for trigger dates; `None`: the settings' calendar.
    pub calendar: Option<String>,
    /// Minimum days between two actions on one account (0 when unset).
    pub min_gap_days: i64,
    /// Items overdue longer are not chased; `None`: no limit.
    pub max_age_days: Option<i64>,
    /// Default mode of its steps.
    pub mode: Mode,
    /// Steps in order (offsets strictly increase).
    pub steps: Vec<Step>,
    /// Where the scenario is written.
    pub span: Span,
}

/// One step of a scenario.
#[derive(Debug, Clone)]
pub struct Step {
    /// Name, unique in its scenario.
    pub name: String,
    /// Days from the due date.
    pub offset_days: i64,
    /// Optional condition (item = the leader).
    pub when: Option<Expr>,
    /// Actions in file order.
    pub actions: Vec<Action>,
    /// The step's mode (its own, else the scenario's).
    pub mode: Mode,
    /// Where the step is written.
    pub span: Span,
}

/// An action of a step.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// An email to the customer.
    Email {
        /// Template name.
        template: String,
        /// Main recipients.
        to: Vec<Recipient>,
        /// Copies.
        cc: Vec<Recipient>,
        /// Attachments.
        attach: Vec<Attachment>,
    },
    /// A printable letter.
    Letter {
        /// Template name.
        template: String,
    },
    /// A to-do for a colleague.
    Task {
        /// `call`, `visit`...
        kind: String,
        /// Who does it.
        assign: Option<Recipient>,
        /// Free text.
        note: Option<String>,
    },
    /// Switch the account to another scenario.
    Escalate {
        /// The new scenario.
        scenario: String,
    },
    /// Compute late-payment penalties.
    Penalties,
    /// An internal email.
    Notify {
        /// Colleagues or addresses.
        to: Vec<Recipient>,
        /// Optional template.
        template: Option<String>,
    },
}

impl Action {
    /// The kind as listed in `plan --json` (`email`, `letter`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Email { .. } => "email",
            Action::Letter { .. } => "letter",
            Action::Task { .. } => "task",
            Action::Escalate { .. } => "escalate",
            Action::Penalties => "penalties",
            Action::Notify { .. } => "notify",
        }
    }
}

/// Colleague roles (docs/reference/data.md).
pub const COLLEAGUE_ROLES: &[&str] = &["collector", "sales", "manager"];
/// Contact roles every configuration knows; the contacts data may add more.
pub const CONTACT_ROLES: &[&str] = &["billing", "contact"];

/// Who receives something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// Contacts of the customer with this role.
    Contact(String),
    /// The account's colleague with this role.
    Colleague(String),
    /// A literal address.
    Address(String),
}

/// What an email carries along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    /// The account statement.
    Statement,
    /// Files attached to the covered items.
    Invoices,
    /// The penalties computation.
    Penalties,
}

/// Names of attachments, for checking and suggestions.
pub const ATTACHMENTS: &[&str] = &["statement", "invoices", "penalties"];

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One alert per item.
    Item,
    /// One alert per account.
    Account,
}

/// Alert levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `low`
    Low,
    /// `medium`
    Medium,
    /// `high`
    High,
}

impl Level {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// An alert rule, declared or built in.
#[derive(Debug, Clone)]
pub struct AlertDef {
    /// Name.
    pub name: String,
    /// Item or account.
    pub scope: Scope,
    /// Human label.
    pub label: Option<String>,
    /// Condition; `None` for built-in alerts, which the engine raises itself.
    pub when: Option<Expr>,
    /// Level.
    pub level: Level,
    /// Who is told.
    pub notify: Vec<Recipient>,
    /// Whether this is one of [`BUILTIN_ALERTS`].
    pub builtin: bool,
}

/// Alerts the engine raises itself, with their scope and default level.
pub const BUILTIN_ALERTS: &[(&str, Scope, Level)] = &[
    ("old_items", Scope::Account, Level::Medium),
    ("missing_contact", Scope::Account, Level::High),
    ("missing_assignee", Scope::Account, Level::Medium),
    ("missing_rate", Scope::Account, Level::High),
    ("hook_failed", Scope::Account, Level::High),
    ("delivery_failed", Scope::Account, Level::High),
    ("stale_data", Scope::Account, Level::High),
];

/// `escalation "name" { ... }`
#[derive(Debug, Clone)]
pub struct EscalationDef {
    /// Name.
    pub name: String,
    /// Human label.
    pub label: Option<String>,
    /// Condition over the account.
    pub when: Expr,
    /// Scenario to switch to.
    pub switch: Option<String>,
    /// Who is told.
    pub notify: Vec<Recipient>,
}

/// Counts for `relance check`'s summary line.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    /// Scenarios.
    pub scenarios: usize,
    /// Steps over all scenarios.
    pub steps: usize,
    /// Declared alerts (built-ins not counted).
    pub alerts: usize,
    /// Escalation rules.
    pub escalations: usize,
    /// Statuses.
    pub statuses: usize,
    /// Templates per language.
    pub templates: BTreeMap<String, usize>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        write!(
            f,
            "{}, {}, {}, {}, {}",
            plural(self.scenarios, "scenario", "scenarios"),
            plural(self.steps, "step", "steps"),
            plural(self.alerts, "alert", "alerts"),
            plural(self.escalations, "escalation", "escalations"),
            plural(self.statuses, "status", "statuses"),
        )?;
        let total: usize = self.templates.values().sum();
        write!(f, ", {}", plural(total, "template", "templates"))?;
        if !self.templates.is_empty() {
            let per: Vec<String> = self
                .templates
                .iter()
                .map(|(lang, n)| format!("{lang}: {n}"))
                .collect();
            write!(f, " ({})", per.join(", "))?;
        }
        Ok(())
    }
}
