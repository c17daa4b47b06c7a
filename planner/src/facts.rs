//! The facts the planner reads, as plain data: a collection account (its
//! leader and members, their open items, the leader's contacts and
//! colleagues, what relance already did). The store fills these types from
//! its rows; nothing here knows where they come from.
//!
//! A collection account is a customer without a `group_leader`; the customers
//! grouped under it join it (docs/reference/planning.md): their items are the account's, and
//! the contacts and colleagues are the leader's.

use chrono::NaiveDate;

/// A customer of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFacts {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Language, if set.
    pub language: Option<String>,
    /// IANA timezone, if set.
    pub timezone: Option<String>,
    /// Explicit scenario, if set.
    pub scenario: Option<String>,
    /// The leader it is grouped under (members only).
    pub group_leader: Option<String>,
    /// Credit limit in minor units of its currency.
    pub credit_limit: Option<i64>,
    /// Currency, if set.
    pub currency: Option<String>,
    /// Custom fields, a JSON object.
    pub custom: String,
    /// Postal address (street lines, `\n` between them), for letters.
    pub address: Option<String>,
    /// Postcode, for letters.
    pub postcode: Option<String>,
    /// City, for letters.
    pub city: Option<String>,
    /// Country, for letters.
    pub country: Option<String>,
}

/// The kind of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemType {
    /// `invoice`
    Invoice,
    /// `debit_note`
    DebitNote,
    /// `credit_note`
    CreditNote,
    /// `payment` (unallocated)
    Payment,
}

impl ItemType {
    /// As written in the data (the import admits no other kind; anything
    /// else, only possible in a database edited by hand, reads as a payment:
    /// never chased).
    pub fn parse(s: &str) -> ItemType {
        match s {
            "invoice" => ItemType::Invoice,
            "debit_note" => ItemType::DebitNote,
            "credit_note" => ItemType::CreditNote,
            _ => ItemType::Payment,
        }
    }

    /// Invoices and debit notes: what customers owe.
    pub fn is_debit(self) -> bool {
        matches!(self, ItemType::Invoice | ItemType::DebitNote)
    }

    /// As written in the data.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Invoice => "invoice",
            ItemType::DebitNote => "debit_note",
            ItemType::CreditNote => "credit_note",
            ItemType::Payment => "payment",
        }
    }
}

/// A collection account's code: its leader customer's code. It travels
/// from the store through plans, recorded actions, alerts and messages.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct AccountCode(String);

impl AccountCode {
    /// The code as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for AccountCode {
    fn from(code: String) -> AccountCode {
        AccountCode(code)
    }
}

impl From<&str> for AccountCode {
    fn from(code: &str) -> AccountCode {
        AccountCode(code.to_string())
    }
}

impl From<AccountCode> for String {
    fn from(code: AccountCode) -> String {
        code.0
    }
}

impl std::ops::Deref for AccountCode {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for AccountCode {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for AccountCode {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for AccountCode {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for AccountCode {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl std::fmt::Display for AccountCode {
    /// The code, padded as the format asks (`{:<10}` lines columns up).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.0)
    }
}

/// An item's identity wherever it travels (plans, the store's actions and
/// alerts, messages): its customer and its reference, written
/// `CUSTOMER/REFERENCE`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemKey {
    /// The customer's code (the leader or a member).
    pub customer: String,
    /// The item's reference.
    pub reference: String,
}

impl ItemKey {
    /// The key of `reference` of `customer`.
    pub fn new(customer: impl Into<String>, reference: impl Into<String>) -> ItemKey {
        ItemKey {
            customer: customer.into(),
            reference: reference.into(),
        }
    }

    /// Reads `CUSTOMER/REFERENCE` as the store writes it (a customer code
    /// has no `/`; a reference may).
    pub fn parse(text: &str) -> Option<ItemKey> {
        let (customer, reference) = text.split_once('/')?;
        Some(ItemKey::new(customer, reference))
    }

    /// Whether it is `item`'s key.
    pub fn is(&self, item: &Item) -> bool {
        self.customer == item.customer && self.reference == item.reference
    }
}

impl std::fmt::Display for ItemKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&format!("{}/{}", self.customer, self.reference))
    }
}

/// An open item (remaining above zero), debit or credit.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Its customer's code (the leader or a member).
    pub customer: String,
    /// Reference.
    pub reference: String,
    /// Kind.
    pub kind: ItemType,
    /// Issue date.
    pub issue_date: Option<NaiveDate>,
    /// Due date.
    pub due_date: NaiveDate,
    /// Amount, minor units of `currency`.
    pub amount: i64,
    /// Remaining, minor units of `currency`.
    pub remaining: i64,
    /// Currency.
    pub currency: String,
    /// Status.
    pub status: Option<String>,
    /// Since when.
    pub status_since: Option<NaiveDate>,
    /// Promised payment date.
    pub promise_date: Option<NaiveDate>,
    /// Comment.
    pub comment: Option<String>,
    /// Custom fields, decoded.
    pub custom: serde_json::Map<String, serde_json::Value>,
    /// Last step reached per scenario: `(scenario, step)`, sorted.
    pub steps: Vec<(String, String)>,
}

/// A contact of the account's leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFacts {
    /// Address.
    pub email: String,
    /// Name.
    pub name: Option<String>,
    /// Role (`billing`...).
    pub role: String,
    /// Language.
    pub language: Option<String>,
}

/// A colleague assigned to the account's leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColleagueFacts {
    /// Role in this assignment (`collector`, `sales`, `manager`).
    pub role: String,
    /// Address.
    pub email: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
}

/// A collection account and what belongs to it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountFacts {
    /// The leader's code (the account's code).
    pub code: AccountCode,
    /// The leader first, then its members by code.
    pub customers: Vec<CustomerFacts>,
    /// Open items of all of them, by customer then reference.
    pub items: Vec<Item>,
    /// The leader's contacts, by email.
    pub contacts: Vec<ContactFacts>,
    /// The leader's colleagues, by role then email.
    pub colleagues: Vec<ColleagueFacts>,
    /// The last recorded action: `(run_date, step)`.
    pub last_action: Option<(NaiveDate, String)>,
    /// Open alerts: `(alert, item)`, item `CUSTOMER/REFERENCE` or `""`.
    pub open_alerts: Vec<(String, String)>,
    /// Escalations that fired and still hold.
    pub escalations: Vec<String>,
    /// Scenario switches, oldest first: `(effective_on, scenario)`.
    pub switches: Vec<(NaiveDate, String)>,
}

/// Item columns a caller may do without: the planner reads them only when
/// the configuration's expressions do. Left out, they read as empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemColumns {
    /// `issue_date`
    pub issue_date: bool,
    /// `comment`
    pub comment: bool,
    /// Custom fields.
    pub custom: bool,
}

impl ItemColumns {
    /// Every column.
    pub const ALL: ItemColumns = ItemColumns {
        issue_date: true,
        comment: true,
        custom: true,
    };
}

/// Decodes stored custom fields.
pub fn custom_fields(json: &str) -> serde_json::Map<String, serde_json::Value> {
    if json == "{}" {
        return serde_json::Map::new();
    }
    match serde_json::from_str(json) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}
