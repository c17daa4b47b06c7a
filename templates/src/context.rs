//! The rendering context (TEMPLATES.md "Rendering context"): what a template
//! can read, as plain serde types. The engine side fills it; this crate
//! knows nothing of the store or the planner.
//!
//! Amounts are major units (`1234.56`) so that templates can compare and
//! add them; each carries its currency or the account's. Tables and
//! `money` turn them back into exact minor units before writing them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

/// Custom fields: declared with `field` in the DSL, flattened into their record.
pub type Custom = BTreeMap<String, serde_json::Value>;

/// Everything one email, letter or statement is rendered from.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// Platform settings.
    pub settings: Settings,
    /// The (leader) customer.
    pub customer: Customer,
    /// The account's totals.
    pub account: AccountInfo,
    /// The first `to` recipient, when there is one.
    pub contact: Option<Contact>,
    /// The account's collector, when it has one.
    pub collector: Option<Colleague>,
    /// Every open item of the account (all members), by due date.
    pub items: Vec<Item>,
    /// The items this action covers.
    pub covered: Vec<Item>,
    /// The members of a grouped account, leader first then by code; one for
    /// an account that is not grouped.
    pub members: Vec<Member>,
    /// The step being rendered (`None` for a statement).
    pub step: Option<String>,
    /// Its scenario.
    pub scenario: Option<String>,
    /// The run date.
    pub today: NaiveDate,
    /// Late-payment penalties of the covered items.
    pub penalties: Penalties,
    /// Links shared with the customer.
    pub links: Links,
    /// The action's leader item (`#promise_date`, `#dispute_comment`).
    pub leader: Option<Item>,
}

/// Platform settings a template may print.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// `#company_name`.
    pub company: String,
    /// The platform currency.
    pub currency: String,
    /// The default language.
    pub language: String,
}

/// A customer.
#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    /// Its code.
    pub code: String,
    /// Its name: untrusted text, escaped in HTML.
    pub name: String,
    /// Its language, when known.
    pub language: Option<String>,
    /// Custom fields.
    #[serde(flatten)]
    pub custom: Custom,
}

/// The account's totals, in `currency`.
#[derive(Debug, Clone, Serialize)]
pub struct AccountInfo {
    /// The account (leader) code.
    pub code: String,
    /// The currency of the totals: the items' when they share one, else the platform's.
    pub currency: String,
    /// Open debit items.
    pub total_due: f64,
    /// Overdue debit items.
    pub total_overdue: f64,
    /// Debits minus credits.
    pub balance: f64,
    /// Open items.
    pub items_count: usize,
    /// Overdue debit items.
    pub overdue_items_count: usize,
    /// Days overdue of the oldest overdue item.
    pub max_days_overdue: i64,
    /// Whether the account groups several customers.
    pub grouped: bool,
}

/// A recipient.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    /// Name, when known.
    pub name: Option<String>,
    /// Address.
    pub email: String,
    /// Language, when known.
    pub language: Option<String>,
}

/// A colleague (the collector).
#[derive(Debug, Clone, Serialize)]
pub struct Colleague {
    /// Name.
    pub name: String,
    /// Address.
    pub email: String,
    /// Phone, when known.
    pub phone: Option<String>,
}

/// An open item.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// The customer that owes it (a member of a grouped account).
    pub customer: String,
    /// Its reference.
    pub reference: String,
    /// `invoice`, `credit_note`...
    pub kind: String,
    /// Whether it is owed to us (an invoice, a debit note...).
    pub debit: bool,
    /// Issue date, when known.
    pub issue_date: Option<NaiveDate>,
    /// Due date.
    pub due_date: NaiveDate,
    /// Days past the due date on the run date (negative before).
    pub days_overdue: i64,
    /// A debit past its due date.
    pub overdue: bool,
    /// Original amount, major units of `currency`.
    pub amount: f64,
    /// Still open, major units of `currency`.
    pub remaining: f64,
    /// Its currency.
    pub currency: String,
    /// Its status name, when qualified.
    pub status: Option<String>,
    /// The status label to show.
    pub status_label: Option<String>,
    /// Promised payment date.
    pub promise_date: Option<NaiveDate>,
    /// The status comment (a dispute's reason...).
    pub comment: Option<String>,
    /// Custom fields.
    #[serde(flatten)]
    pub custom: Custom,
}

/// A member of a grouped account and its items.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// Customer code.
    pub code: String,
    /// Customer name.
    pub name: String,
    /// Its open items.
    pub items: Vec<Item>,
    /// Its balance in the account currency.
    pub subtotal: f64,
}

/// Penalties per covered item, in the account currency.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Penalties {
    /// One line per overdue covered item.
    pub items: Vec<Penalty>,
    /// Their sum.
    pub total: f64,
}

/// The penalty of one item.
#[derive(Debug, Clone, Serialize)]
pub struct Penalty {
    /// The item's customer.
    pub customer: String,
    /// The item's reference.
    pub reference: String,
    /// Days overdue.
    pub days_overdue: i64,
    /// The item's remaining amount, in its currency.
    pub remaining: f64,
    /// The item's currency.
    pub currency: String,
    /// The penalty, in the account currency.
    pub amount: f64,
}

/// Links shared with the customer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Links {
    /// The signed statement page, where served.
    pub interactive: Option<String>,
    /// Files shared with the customer.
    pub attachments: Vec<Attachment>,
}

/// A shared file.
#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// Where to download it.
    pub url: String,
    /// Until when the link works.
    pub expires: NaiveDate,
}
