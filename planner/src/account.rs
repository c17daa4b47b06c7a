//! One collection account as the planner reads it: the store's rows with
//! dates parsed and custom fields decoded, and the facts expressions see.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use relance_rules::{Facts, Root, Value};

use relance_money::{self as money, Currency, Decimal, Money};

use crate::facts::{AccountFacts, ColleagueFacts, ContactFacts, CustomerFacts, custom_fields};

pub use crate::facts::{AccountCode, Item, ItemKey, ItemType};

/// A customer of the account.
#[derive(Debug, Clone)]
pub struct Customer {
    /// As stored.
    pub facts: CustomerFacts,
    /// Custom fields, decoded.
    pub custom: serde_json::Map<String, serde_json::Value>,
}

impl Item {
    /// Its key (`CUSTOMER/REFERENCE`).
    pub fn key(&self) -> ItemKey {
        ItemKey::new(&self.customer, &self.reference)
    }

    /// The last step reached in `scenario`.
    pub fn last_step(&self, scenario: &str) -> Option<&str> {
        self.steps
            .iter()
            .find(|(s, _)| s == scenario)
            .map(|(_, step)| step.as_str())
    }

    /// Sets the last step reached in `scenario`.
    pub fn set_last_step(&mut self, scenario: &str, step: &str) {
        match self.steps.iter_mut().find(|(s, _)| s == scenario) {
            Some(entry) => entry.1 = step.to_string(),
            None => self.steps.push((scenario.to_string(), step.to_string())),
        }
    }
}

/// A collection account: the leader, its members, and what belongs to them.
#[derive(Debug, Clone)]
pub struct Account {
    /// The leader's code.
    pub code: AccountCode,
    /// The leader first, then members by code.
    pub customers: Vec<Customer>,
    /// Open items of all of them.
    pub items: Vec<Item>,
    /// The leader's contacts.
    pub contacts: Vec<ContactFacts>,
    /// The leader's colleagues.
    pub colleagues: Vec<ColleagueFacts>,
    /// The latest action: run date and step.
    pub last_action: Option<(NaiveDate, String)>,
    /// Open alerts: `(alert, item key or "")`.
    pub open_alerts: BTreeSet<(String, String)>,
    /// Escalations that fired and still hold.
    pub escalations: BTreeSet<String>,
    /// Scenario switches, oldest first: `(effective_on, scenario)`.
    pub switches: Vec<(NaiveDate, String)>,
}

impl Account {
    /// From the store's rows.
    pub fn from_facts(f: AccountFacts) -> Account {
        Account {
            customers: f
                .customers
                .into_iter()
                .map(|c| Customer {
                    custom: custom_fields(&c.custom),
                    facts: c,
                })
                .collect(),
            items: f.items,
            contacts: f.contacts,
            colleagues: f.colleagues,
            last_action: f.last_action,
            open_alerts: f.open_alerts.into_iter().collect(),
            escalations: f.escalations.into_iter().collect(),
            switches: f.switches,
            code: f.code,
        }
    }

    /// The leader customer.
    pub fn leader(&self) -> Option<&Customer> {
        self.customers.first()
    }

    /// The first `billing` contact, by address.
    pub fn billing_contact(&self) -> Option<&ContactFacts> {
        self.contacts.iter().find(|c| c.role == "billing")
    }
}

/// The account figures expressions read as `account.*`; amounts in the
/// platform currency, each item converted and rounded once
/// ([`Money::convert`]) and the rounded amounts added exactly.
#[derive(Debug, Clone)]
pub struct AccountFigures {
    /// Sum of remaining of open debit items.
    pub total_due: Money,
    /// Same, due before D.
    pub overdue_amount: Money,
    /// Debits minus credits and payments.
    pub balance: Money,
    /// Days overdue of the most overdue debit item (0 when none is).
    pub max_days_overdue: i64,
    /// Earliest due date of open debit items.
    pub oldest_due_date: Option<NaiveDate>,
    /// Open debit items.
    pub open_items_count: usize,
    /// Open debit items due before D.
    pub overdue_items_count: usize,
    /// Remaining of items in dispute.
    pub disputed_amount: Money,
    /// Remaining of items with a promise to pay.
    pub promised_amount: Money,
    /// Grouped members (the leader not counted).
    pub members_count: usize,
}

impl AccountFigures {
    /// The figures of an account with no open item, in `currency`.
    pub fn none(account: &Account, currency: Currency) -> AccountFigures {
        let zero = Money::zero(currency);
        AccountFigures {
            total_due: zero,
            overdue_amount: zero,
            balance: zero,
            max_days_overdue: 0,
            oldest_due_date: None,
            open_items_count: 0,
            overdue_items_count: 0,
            disputed_amount: zero,
            promised_amount: zero,
            members_count: account.customers.len().saturating_sub(1),
        }
    }

    /// Computes the figures on `today` in `currency`; `convert` gives an
    /// item's remaining in it (callers make sure every currency converts).
    pub fn compute(
        account: &Account,
        today: NaiveDate,
        currency: Currency,
        convert: impl Fn(&Item) -> Money,
    ) -> AccountFigures {
        let mut s = AccountFigures::none(account, currency);
        for item in &account.items {
            let value = convert(item);
            if !item.kind.is_debit() {
                s.balance -= value;
                continue;
            }
            s.balance += value;
            s.total_due += value;
            s.open_items_count += 1;
            if item.due_date < today {
                s.overdue_amount += value;
                s.overdue_items_count += 1;
                s.max_days_overdue = s.max_days_overdue.max((today - item.due_date).num_days());
            }
            if s.oldest_due_date.is_none_or(|d| item.due_date < d) {
                s.oldest_due_date = Some(item.due_date);
            }
            match item.status.as_deref() {
                Some("dispute") => s.disputed_amount += value,
                Some("promise") => s.promised_amount += value,
                _ => {}
            }
        }
        s
    }
}

/// What an expression evaluates over: one account on one day, maybe one item.
pub struct Evaluation<'a> {
    /// The account.
    pub account: &'a Account,
    /// Its figures.
    pub summary: &'a AccountFigures,
    /// The item in question (step conditions, item alerts, statuses).
    pub item: Option<&'a Item>,
    /// The account's current scenario.
    pub scenario: &'a str,
    /// D.
    pub today: NaiveDate,
    /// The settings.
    pub settings: &'a relance_dsl::model::Settings,
    /// Declared custom fields, for the types of their values.
    pub fields: &'a [relance_dsl::model::FieldDef],
}

/// Minor units of `currency` as an exact major-unit number; an unknown
/// currency code (none passes the import) reads with two decimals.
fn major(minor: i64, currency: &str) -> Decimal {
    Decimal::new(minor, money::exponent(currency))
}

fn custom_value<'a>(
    map: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
    ty: Option<&relance_dsl::model::Type>,
) -> Value<'a> {
    match map.get(name) {
        Some(serde_json::Value::String(s)) => {
            if ty == Some(&relance_dsl::model::Type::Date)
                && let Ok(d) = s.parse()
            {
                return Value::Date(d);
            }
            Value::text(s)
        }
        // Through its text: the exact decimal that was imported.
        Some(serde_json::Value::Number(n)) => Value::opt_number(n.to_string().parse().ok()),
        Some(serde_json::Value::Bool(b)) => Value::Bool(*b),
        _ => Value::Null,
    }
}

const CUSTOMER_FIELDS: &[&str] = &[
    "code",
    "name",
    "language",
    "timezone",
    "scenario",
    "group_leader",
    "credit_limit",
    "currency",
];
const ITEM_FIELDS: &[&str] = &[
    "reference",
    "type",
    "issue_date",
    "due_date",
    "amount",
    "remaining",
    "currency",
    "status",
    "status_since",
    "promise_date",
    "comment",
    "days_overdue",
    "last_step",
    "cleared_on",
];
const CONTACT_FIELDS: &[&str] = &["name", "email", "role", "language"];
const ACCOUNT_FIELDS: &[&str] = &[
    "code",
    "scenario",
    "total_due",
    "overdue_amount",
    "balance",
    "max_days_overdue",
    "oldest_due_date",
    "open_items_count",
    "overdue_items_count",
    "disputed_amount",
    "promised_amount",
    "last_action_date",
    "last_action_step",
    "members_count",
];
const SETTINGS_FIELDS: &[&str] = &[
    "company",
    "from",
    "timezone",
    "currency",
    "language",
    "calendar",
    "default_scenario",
];

impl Evaluation<'_> {
    fn field_type(
        &self,
        target: relance_dsl::model::FieldTarget,
        name: &str,
    ) -> Option<&relance_dsl::model::Type> {
        self.fields
            .iter()
            .find(|f| f.target == target && f.name == name)
            .map(|f| &f.ty)
    }
}

impl Facts for Evaluation<'_> {
    fn field(&self, root: Root, name: &str) -> Value<'_> {
        use relance_dsl::model::FieldTarget;
        match root {
            Root::Customer => {
                let Some(c) = self.account.leader() else {
                    return Value::Null;
                };
                let f = &c.facts;
                match name {
                    "code" => Value::text(&f.code),
                    "name" => Value::text(&f.name),
                    "language" => Value::opt_text(f.language.as_deref()),
                    "timezone" => Value::opt_text(f.timezone.as_deref()),
                    "scenario" => Value::opt_text(f.scenario.as_deref()),
                    "group_leader" => Value::opt_text(f.group_leader.as_deref()),
                    "credit_limit" => Value::opt_number(f.credit_limit.map(|l| {
                        major(l, f.currency.as_deref().unwrap_or(&self.settings.currency))
                    })),
                    "currency" => Value::opt_text(f.currency.as_deref()),
                    other => custom_value(
                        &c.custom,
                        other,
                        self.field_type(FieldTarget::Customer, other),
                    ),
                }
            }
            Root::Item => {
                let Some(i) = self.item else {
                    return Value::Null;
                };
                match name {
                    "reference" => Value::text(&i.reference),
                    "type" => Value::text(i.kind.as_str()),
                    "issue_date" => Value::opt_date(i.issue_date),
                    "due_date" => Value::Date(i.due_date),
                    "amount" => Value::Number(major(i.amount, &i.currency)),
                    "remaining" => Value::Number(major(i.remaining, &i.currency)),
                    "currency" => Value::text(&i.currency),
                    "status" => Value::opt_text(i.status.as_deref()),
                    "status_since" => Value::opt_date(i.status_since),
                    "promise_date" => Value::opt_date(i.promise_date),
                    "comment" => Value::opt_text(i.comment.as_deref()),
                    "days_overdue" => Value::Number((self.today - i.due_date).num_days().into()),
                    "last_step" => Value::opt_text(i.last_step(self.scenario)),
                    "cleared_on" => Value::Null,
                    other => {
                        custom_value(&i.custom, other, self.field_type(FieldTarget::Item, other))
                    }
                }
            }
            Root::Contact => {
                let Some(c) = self.account.billing_contact() else {
                    return Value::Null;
                };
                match name {
                    "name" => Value::opt_text(c.name.as_deref()),
                    "email" => Value::text(&c.email),
                    "role" => Value::text(&c.role),
                    "language" => Value::opt_text(c.language.as_deref()),
                    _ => Value::Null,
                }
            }
            Root::Account => {
                let s = self.summary;
                match name {
                    "code" => Value::text(&self.account.code),
                    "scenario" => Value::text(self.scenario),
                    "total_due" => Value::Number(s.total_due.to_decimal()),
                    "overdue_amount" => Value::Number(s.overdue_amount.to_decimal()),
                    "balance" => Value::Number(s.balance.to_decimal()),
                    "max_days_overdue" => Value::Number(s.max_days_overdue.into()),
                    "oldest_due_date" => Value::opt_date(s.oldest_due_date),
                    "open_items_count" => Value::Number(s.open_items_count.into()),
                    "overdue_items_count" => Value::Number(s.overdue_items_count.into()),
                    "disputed_amount" => Value::Number(s.disputed_amount.to_decimal()),
                    "promised_amount" => Value::Number(s.promised_amount.to_decimal()),
                    "last_action_date" => {
                        Value::opt_date(self.account.last_action.as_ref().map(|(d, _)| *d))
                    }
                    "last_action_step" => {
                        Value::opt_text(self.account.last_action.as_ref().map(|(_, s)| s.as_str()))
                    }
                    "members_count" => Value::Number(s.members_count.into()),
                    _ => Value::Null,
                }
            }
            Root::Settings => {
                let s = self.settings;
                match name {
                    "company" => Value::opt_text(s.company.as_deref()),
                    "from" => Value::opt_text(s.from.as_deref()),
                    "timezone" => Value::text(s.timezone.name()),
                    "currency" => Value::text(&s.currency),
                    "language" => Value::text(&s.language),
                    "calendar" => Value::opt_text(s.calendar.as_deref()),
                    "default_scenario" => Value::opt_text(s.default_scenario.as_deref()),
                    _ => Value::Null,
                }
            }
        }
    }

    fn record(&self, root: Root) -> Vec<(&'static str, Value<'_>)> {
        let names = match root {
            Root::Customer => CUSTOMER_FIELDS,
            Root::Item => ITEM_FIELDS,
            Root::Contact => CONTACT_FIELDS,
            Root::Account => ACCOUNT_FIELDS,
            Root::Settings => SETTINGS_FIELDS,
        };
        names.iter().map(|n| (*n, self.field(root, n))).collect()
    }

    fn custom_fields(&self, root: Root) -> Vec<(String, Value<'_>)> {
        let map = match root {
            Root::Customer => self.account.leader().map(|c| &c.custom),
            Root::Item => self.item.map(|i| &i.custom),
            _ => None,
        };
        map.map(|m| m.keys().map(|k| (k.clone(), self.field(root, k))).collect())
            .unwrap_or_default()
    }

    fn today(&self) -> NaiveDate {
        self.today
    }
}
