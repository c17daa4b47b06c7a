//! What a customer answers on their page (docs/reference/customer-page.md):
//! a promise to pay, a dispute, or "I already paid". [`validate`] checks a
//! form's values against the account and the settings without writing
//! anything; [`apply`] records a valid answer in one write transaction:
//! the items' statuses through [`crate::status`] (or a `payment_claimed`
//! history line), and a `customer_answer` notice for each of the account's
//! owners ([`crate::notify::owners`]), so the collector's digest tells them.
//! Nothing here knows HTTP: the page in admin-api turns forms into inputs
//! and [`Invalid`] into words.

use chrono::NaiveDate;
use relance_dsl::model::{Config, Settings};
use relance_money::{self as money, Money};
use relance_templates::internal::Entry;

use crate::planner::account::{Account, Item};
use crate::status::{self, ChangeStamp, NewStatus, StatusError};
use crate::store::history::{self, HistoryEvent};
use crate::store::notices::{self, NewNotice};
use crate::store::{Store, StoreError};

/// The history origin of every answer.
pub const ORIGIN: &str = "customer";

/// The notice kind of every answer.
pub const NOTICE_KIND: &str = "customer_answer";

/// The longest dispute comment, in characters.
pub const MAX_COMMENT: usize = 2000;

/// The longest payment reference, in characters.
pub const MAX_REFERENCE: usize = 200;

/// The built-in dispute reasons, used when the settings give none:
/// `(key, English words)`. The page shows them in the customer's language;
/// the history and the collector read the English words.
pub const BUILTIN_REASONS: &[(&str, &str)] = &[
    ("wrong_amount", "Wrong amount"),
    ("not_received", "Goods or service not received"),
    ("damaged", "Goods damaged or not as ordered"),
    ("already_paid", "Invoice already paid"),
    ("other", "Other"),
];

/// The status a promise gives: `promise_status`, else a declared `promise`.
pub fn promise_status(config: &Config) -> Option<String> {
    configured(config, config.settings.promise_status.as_deref(), "promise")
}

/// The status a dispute gives: `dispute_status`, else a declared `dispute`.
pub fn dispute_status(config: &Config) -> Option<String> {
    configured(config, config.settings.dispute_status.as_deref(), "dispute")
}

fn configured(config: &Config, set: Option<&str>, default: &str) -> Option<String> {
    let name = set.unwrap_or(default);
    config.statuses.contains_key(name).then(|| name.to_string())
}

/// The reasons a customer picks from: `(value, words)`, the settings'
/// `dispute_reasons` (value and words the same), else [`BUILTIN_REASONS`].
pub fn reasons(settings: &Settings) -> Vec<(String, String)> {
    if settings.dispute_reasons.is_empty() {
        BUILTIN_REASONS
            .iter()
            .map(|(k, w)| (k.to_string(), w.to_string()))
            .collect()
    } else {
        settings
            .dispute_reasons
            .iter()
            .map(|r| (r.clone(), r.clone()))
            .collect()
    }
}

/// `CUSTOMER/REFERENCE`, how forms name an item.
pub fn item_value(item: &Item) -> String {
    format!("{}/{}", item.customer, item.reference)
}

/// The open debit items (something left to pay), by due date: what a
/// customer may dispute.
pub fn open_items(account: &Account) -> Vec<&Item> {
    let mut items: Vec<&Item> = account
        .items
        .iter()
        .filter(|i| i.kind.is_debit() && i.remaining > 0)
        .collect();
    items.sort_by(|a, b| (a.due_date, &a.reference).cmp(&(b.due_date, &b.reference)));
    items
}

/// The open debit items due before `today`: what a customer may promise
/// to pay or say they paid.
pub fn overdue_items(account: &Account, today: NaiveDate) -> Vec<&Item> {
    open_items(account)
        .into_iter()
        .filter(|i| i.due_date < today)
        .collect()
}

/// A form value that is not acceptable: which field, a stable key the page
/// words in the customer's language, and the English words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The form field.
    pub field: &'static str,
    /// A stable key (`date_too_far`...).
    pub key: &'static str,
    /// In English, with the values.
    pub message: String,
}

fn invalid(field: &'static str, key: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        field,
        key,
        message: message.into(),
    }
}

/// A promise as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct PromiseInput {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Optional, in the items' currency.
    pub amount: String,
    /// Items chosen (`CUSTOMER/REFERENCE`).
    pub items: Vec<String>,
    /// Every overdue item.
    pub all: bool,
}

/// A dispute as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct DisputeInput {
    /// The item (`CUSTOMER/REFERENCE`).
    pub item: String,
    /// One of [`reasons`]' values.
    pub reason: String,
    /// Required free text.
    pub comment: String,
}

/// A payment claim as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct PaidInput {
    /// When it was paid, `YYYY-MM-DD`.
    pub date: String,
    /// The payment's reference.
    pub reference: String,
    /// Items chosen (`CUSTOMER/REFERENCE`).
    pub items: Vec<String>,
    /// Every overdue item.
    pub all: bool,
}

/// A valid answer, ready for [`apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A promise to pay the items by `date`.
    Promise {
        /// `(customer, reference)`.
        items: Vec<(String, String)>,
        /// The promised date.
        date: NaiveDate,
        /// How much, when said.
        amount: Option<Money>,
    },
    /// One item disputed.
    Dispute {
        /// `(customer, reference)`.
        item: (String, String),
        /// The reason, in words.
        reason: String,
        /// The customer's comment.
        comment: String,
    },
    /// The customer says the items are paid.
    Paid {
        /// `(customer, reference)`.
        items: Vec<(String, String)>,
        /// When.
        date: NaiveDate,
        /// The payment's reference.
        reference: String,
    },
}

impl Answer {
    /// `promise`, `dispute` or `paid`.
    pub fn kind(&self) -> &'static str {
        match self {
            Answer::Promise { .. } => "promise",
            Answer::Dispute { .. } => "dispute",
            Answer::Paid { .. } => "paid",
        }
    }

    /// The item a file sent with the answer goes to: the disputed one, the
    /// first paid one.
    pub fn file_item(&self) -> Option<&(String, String)> {
        match self {
            Answer::Promise { .. } => None,
            Answer::Dispute { item, .. } => Some(item),
            Answer::Paid { items, .. } => items.first(),
        }
    }
}

fn parse_date(field: &'static str, text: &str) -> Result<NaiveDate, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(field, "date_missing", "a date is needed"));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        invalid(
            field,
            "date_bad",
            format!("\"{text}\" is not a date (YYYY-MM-DD)"),
        )
    })
}

/// The chosen items among `allowed`: all of them, or those named; at least one.
fn chosen(
    allowed: &[&Item],
    names: &[String],
    all: bool,
) -> Result<Vec<(String, String)>, Invalid> {
    let picked: Vec<&Item> = if all {
        allowed.to_vec()
    } else {
        let mut out = Vec::new();
        for name in names {
            let Some(item) = allowed.iter().find(|i| item_value(i) == *name) else {
                return Err(invalid(
                    "items",
                    "item_unknown",
                    format!("{name} is not an overdue item of this account"),
                ));
            };
            if !out.iter().any(|i: &&Item| std::ptr::eq(*i, *item)) {
                out.push(*item);
            }
        }
        out
    };
    if picked.is_empty() {
        return Err(invalid(
            "items",
            "items_missing",
            "choose at least one item",
        ));
    }
    Ok(picked
        .into_iter()
        .map(|i| (i.customer.clone(), i.reference.clone()))
        .collect())
}

/// Checks a promise: a date after `today` and at most `promise_limit_days`
/// ahead, an amount above zero and at most what the chosen items leave to
/// pay, overdue items. Also refused when no promise status exists.
pub fn validate_promise(
    config: &Config,
    account: &Account,
    today: NaiveDate,
    input: &PromiseInput,
) -> Result<Answer, Invalid> {
    if promise_status(config).is_none() {
        return Err(invalid(
            "form",
            "promise_unavailable",
            "no status records a promise (settings promise_status)",
        ));
    }
    let date = parse_date("date", &input.date)?;
    let limit = config.settings.promise_limit_days;
    if date <= today {
        return Err(invalid(
            "date",
            "date_not_future",
            format!("{date} is not after today ({today})"),
        ));
    }
    if (date - today).num_days() > limit {
        return Err(invalid(
            "date",
            "date_too_far",
            format!("{date} is more than {limit} days ahead"),
        ));
    }
    let allowed = overdue_items(account, today);
    let items = chosen(&allowed, &input.items, input.all)?;
    let amount = match input.amount.trim() {
        "" => None,
        text => {
            let picked: Vec<&&Item> = allowed
                .iter()
                .filter(|i| {
                    items
                        .iter()
                        .any(|(c, r)| *c == i.customer && *r == i.reference)
                })
                .collect();
            let currency = picked
                .first()
                .map(|i| i.currency.clone())
                .unwrap_or_default();
            if picked.iter().any(|i| i.currency != currency) {
                return Err(invalid(
                    "amount",
                    "amount_currencies",
                    "the items are in several currencies: leave the amount empty",
                ));
            }
            let minor = money::parse_minor(text, &currency)
                .map_err(|e| invalid("amount", "amount_bad", format!("\"{text}\": {e}")))?;
            let left: i64 = picked.iter().map(|i| i.remaining).sum();
            if minor <= 0 {
                return Err(invalid(
                    "amount",
                    "amount_bad",
                    "the amount must be above zero",
                ));
            }
            if minor > left {
                return Err(invalid(
                    "amount",
                    "amount_too_high",
                    format!(
                        "{} is more than the items leave to pay ({})",
                        Money::new(minor, money::Currency::or_none(&currency)),
                        Money::new(left, money::Currency::or_none(&currency))
                    ),
                ));
            }
            Some(Money::new(minor, money::Currency::or_none(&currency)))
        }
    };
    Ok(Answer::Promise {
        items,
        date,
        amount,
    })
}

/// Checks a dispute: an open debit item, a reason of [`reasons`], a
/// comment of 1 to [`MAX_COMMENT`] characters. Also refused when no
/// dispute status exists.
pub fn validate_dispute(
    config: &Config,
    account: &Account,
    input: &DisputeInput,
) -> Result<Answer, Invalid> {
    if dispute_status(config).is_none() {
        return Err(invalid(
            "form",
            "dispute_unavailable",
            "no status records a dispute (settings dispute_status)",
        ));
    }
    let allowed = open_items(account);
    let Some(item) = allowed.iter().find(|i| item_value(i) == input.item) else {
        return Err(invalid(
            "item",
            "item_unknown",
            format!("{} is not an open item of this account", input.item),
        ));
    };
    let Some((_, reason)) = reasons(&config.settings)
        .into_iter()
        .find(|(v, _)| *v == input.reason)
    else {
        return Err(invalid(
            "reason",
            "reason_unknown",
            "choose a reason from the list",
        ));
    };
    let comment = input.comment.trim();
    if comment.is_empty() {
        return Err(invalid("comment", "comment_missing", "say what is wrong"));
    }
    if comment.chars().count() > MAX_COMMENT {
        return Err(invalid(
            "comment",
            "comment_too_long",
            format!("the comment is longer than {MAX_COMMENT} characters"),
        ));
    }
    Ok(Answer::Dispute {
        item: (item.customer.clone(), item.reference.clone()),
        reason,
        comment: comment.to_string(),
    })
}

/// Checks a payment claim: a date not after `today`, a reference of 1 to
/// [`MAX_REFERENCE`] characters, overdue items.
pub fn validate_paid(
    account: &Account,
    today: NaiveDate,
    input: &PaidInput,
) -> Result<Answer, Invalid> {
    let date = parse_date("date", &input.date)?;
    if date > today {
        return Err(invalid(
            "date",
            "date_future",
            format!("{date} is after today ({today})"),
        ));
    }
    let reference = input.reference.trim();
    if reference.is_empty() {
        return Err(invalid(
            "reference",
            "reference_missing",
            "give the payment's reference",
        ));
    }
    if reference.chars().count() > MAX_REFERENCE {
        return Err(invalid(
            "reference",
            "reference_too_long",
            format!("the reference is longer than {MAX_REFERENCE} characters"),
        ));
    }
    let allowed = overdue_items(account, today);
    let items = chosen(&allowed, &input.items, input.all)?;
    Ok(Answer::Paid {
        items,
        date,
        reference: reference.to_string(),
    })
}

/// What [`apply`] recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The collector's one-line summary (the notice's title).
    pub title: String,
    /// Who was told.
    pub told: Vec<String>,
}

/// Why an answer could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// The status in the settings cannot be given (a configuration problem).
    #[error(transparent)]
    Status(#[from] StatusError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an answer does to its items and tells the collector.
struct Effect {
    /// The collector's one line.
    title: String,
    /// The comment or amount.
    detail: Option<String>,
    /// `(customer, reference)`.
    items: Vec<(String, String)>,
    /// The status each item gets; `None`: a `payment_claimed` line instead.
    change: Option<NewStatus>,
}

fn effect(config: &Config, answer: &Answer) -> Effect {
    match answer {
        Answer::Promise {
            items,
            date,
            amount,
        } => {
            let comment = amount.map(|a| format!("Promised amount: {a}"));
            let status = promise_status(config).unwrap_or_default();
            Effect {
                title: format!("Promise to pay by {date}"),
                detail: comment.clone(),
                items: items.clone(),
                change: Some(NewStatus {
                    status,
                    promise_date: Some(*date),
                    comment,
                }),
            }
        }
        Answer::Dispute {
            item,
            reason,
            comment,
        } => {
            let text = format!("{reason}: {comment}");
            Effect {
                title: format!("Dispute: {reason}"),
                detail: Some(comment.clone()),
                items: vec![item.clone()],
                change: Some(NewStatus {
                    status: dispute_status(config).unwrap_or_default(),
                    promise_date: None,
                    comment: Some(text),
                }),
            }
        }
        Answer::Paid {
            items,
            date,
            reference,
        } => {
            let text = format!("Paid on {date}, reference {reference}");
            Effect {
                title: format!("Payment claimed on {date}, ref {reference}"),
                detail: None,
                items: items.clone(),
                change: config.settings.paid_status.clone().map(|status| NewStatus {
                    status,
                    promise_date: Some(*date),
                    comment: Some(text),
                }),
            }
        }
    }
}

/// Records a valid answer in one write transaction: statuses (or
/// `payment_claimed` lines) with history origin [`ORIGIN`], and a
/// `customer_answer` notice for each owner of the account. `id` makes the
/// notice's subject unique (a random token per answer); `file` is the id
/// and name of a file attached with it, if any.
pub async fn apply(
    store: &Store,
    config: &Config,
    account: &Account,
    answer: &Answer,
    stamp: &ChangeStamp,
    id: &str,
    file: Option<(i64, String)>,
) -> Result<Applied, AnswerError> {
    let file_id = file.as_ref().map(|(id, _)| *id);
    let Effect {
        title,
        detail,
        items,
        change,
    } = effect(config, answer);
    if let Some(new) = &change {
        status::check(config, new)?;
    }
    let mut tx = store.begin_write().await?;
    for (customer, reference) in &items {
        match &change {
            Some(new) => {
                status::set_in(&mut tx, (customer, reference), new, stamp).await?;
            }
            None => {
                let Answer::Paid {
                    date, reference: r, ..
                } = answer
                else {
                    continue;
                };
                let data = serde_json::json!({
                    "date": date.to_string(),
                    "reference": r,
                    "items": items.iter().map(|(_, r)| r).collect::<Vec<_>>(),
                    "file": file_id,
                });
                let event = HistoryEvent {
                    at: stamp.now.clone(),
                    kind: "payment_claimed".into(),
                    customer: Some(customer.clone()),
                    reference: Some(reference.clone()),
                    origin: stamp.origin.clone(),
                    data: data.to_string(),
                };
                history::append_history(&mut tx, &[event]).await?;
            }
        }
    }
    let told = crate::notify::owners(account);
    let detail = match (&detail, &file) {
        (Some(d), Some((_, name))) => Some(format!("{d} (file: {name})")),
        (None, Some((_, name))) => Some(format!("File: {name}")),
        (d, None) => d.clone(),
    };
    let base = Entry {
        kind: NOTICE_KIND.into(),
        account: account.code.to_string(),
        name: account
            .leader()
            .map(|c| c.facts.name.clone())
            .unwrap_or_default(),
        link: config.settings.account_link(account.code.as_str()),
        title: title.clone(),
        detail,
        items: items.iter().map(|(_, r)| r.clone()).collect(),
        date: stamp.today.to_string(),
        ..Entry::default()
    };
    let list: Vec<NewNotice> = told
        .iter()
        .map(|colleague| {
            let entry = Entry {
                colleague_name: account
                    .colleagues
                    .iter()
                    .find(|c| &c.email == colleague)
                    .map(|c| c.name.clone())
                    .filter(|n| !n.is_empty()),
                ..base.clone()
            };
            NewNotice {
                colleague: colleague.clone(),
                account: account.code.to_string(),
                kind: NOTICE_KIND.into(),
                subject: format!("answer|{}|{}|{id}", account.code, answer.kind()),
                level: None,
                entry: serde_json::to_string(&entry).unwrap_or_else(|_| "{}".into()),
                immediate: false,
                created_on: stamp.today.to_string(),
            }
        })
        .collect();
    notices::record(&mut tx, &list, &stamp.now, &stamp.origin).await?;
    tx.commit().await?;
    Ok(Applied { title, told })
}
