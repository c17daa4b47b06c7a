//! From a CSV record to a validated row, per kind of file (docs/reference/data.md).
//!
//! # Layout
//! - `cells`: reading one record's cells, checked per type of value.
//! - `parties`: rows of colleagues, customers, contacts and assignments.
//! - `items`: rows of items.
//! - `resolve`: a valid row against the stored one (what it leaves unsaid,
//!   custom fields, the columns an import derives).

mod cells;
mod items;
mod parties;
mod resolve;

use std::collections::hash_map::Entry;
use std::hash::BuildHasher;

use foldhash::HashMap;

use relance_dsl::diagnostic::closest;
use relance_dsl::model::{Config, FieldDef, FieldTarget, Type};

use super::csvfile::{CsvFile, Record};
use super::{DateFormat, FileKind, Options};
use crate::store::customers;
use crate::store::table::{Row, Val};
use crate::store::{StoreError, Tx};
use cells::{Columns, Reader};

pub use cells::CLEAR;
pub use resolve::{derive_item, payment, resolve, status_change, unsaid};

/// What a customer is to the import.
#[derive(Debug, Clone)]
struct CustomerInfo {
    /// Its currency, if set.
    currency: Option<String>,
    /// Its group leader, if grouped.
    leader: Option<String>,
}

/// What the rows are checked against: the store's customers and colleagues
/// (plus those of earlier files of the same call) and the configuration.
#[derive(Default)]
pub struct Indexes {
    /// Customers by code.
    customers: HashMap<String, CustomerInfo>,
    /// Colleague roles by email.
    colleagues: HashMap<String, String>,
    /// The platform currency, for items and customers without one.
    currency: String,
    /// Statuses of the configuration.
    statuses: Vec<String>,
    /// Scenarios of the configuration.
    scenarios: Vec<String>,
    /// Declared custom fields.
    fields: Vec<FieldDef>,
}

impl Indexes {
    /// Loads the indexes from the store.
    pub async fn load(tx: &mut Tx, config: &Config) -> Result<Indexes, StoreError> {
        let customers = customers::customer_index(tx)
            .await?
            .into_iter()
            .map(|c| {
                (
                    c.code,
                    CustomerInfo {
                        currency: c.currency,
                        leader: c.group_leader,
                    },
                )
            })
            .collect();
        let colleagues = customers::colleague_index(tx).await?.into_iter().collect();
        Ok(Indexes {
            customers,
            colleagues,
            currency: config.settings.currency.clone(),
            statuses: config.statuses.keys().cloned().collect(),
            scenarios: config.scenarios.keys().cloned().collect(),
            fields: config.fields.clone(),
        })
    }
}

/// Columns each kind requires and accepts (besides custom columns).
fn columns(kind: FileKind) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        FileKind::Colleagues => (&["email", "name"], &["role", "phone"]),
        FileKind::Customers => (
            &["code", "name"],
            &[
                "language",
                "timezone",
                "scenario",
                "group_leader",
                "credit_limit",
                "currency",
                "address",
                "postcode",
                "city",
                "country",
            ],
        ),
        FileKind::Contacts => (
            &["customer", "email"],
            &["name", "role", "language", "phone"],
        ),
        FileKind::Assignments => (&["customer", "colleague"], &["role"]),
        FileKind::Items => (
            &["customer", "reference", "type", "due_date", "amount"],
            &[
                "issue_date",
                "remaining",
                "currency",
                "status",
                "promise_date",
                "comment",
                "paid_on",
            ],
        ),
    }
}

/// A valid row and what it says beside the table's columns.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The row, in table order.
    pub row: Row,
    /// Items: the `paid_on` cell (`YYYY-MM-DD`), which dates the payment
    /// the row records when it lowers the item's remaining; not stored on
    /// the item.
    pub paid_on: Option<String>,
}

/// What a row adds to the indexes, for the rows and files after it.
#[derive(Debug)]
enum Added {
    /// A colleague: email, role.
    Colleague(String, String),
    /// A customer: code, currency and group leader.
    Customer(String, CustomerInfo),
}

/// One record checked on its own: the row and everything wrong with it
/// that the record shows by itself. Whether its key repeats an earlier
/// row's, and what it adds to the indexes, are [`FileChecks`]'s, in file
/// order.
#[derive(Debug)]
pub struct Checked {
    /// The row and what it says beside the table's columns (meaningful
    /// only without errors).
    pub parsed: Parsed,
    /// What is wrong with it, in the order the cells are read.
    pub errors: Vec<String>,
    /// The fingerprint of its key, when every key column is given.
    pub key: Option<u128>,
    /// What it adds to the indexes (colleagues and customers).
    added: Option<Added>,
}

/// Reads the records of one file. It holds nothing that changes as the
/// file is read, so that records can be checked on several threads: what
/// does change is in [`FileChecks`].
pub struct Parser {
    /// The kind of file.
    kind: FileKind,
    /// Column name → index in the record.
    index: Columns,
    /// Custom columns: index, name, declared type.
    custom: Vec<(usize, String, Option<Type>)>,
    /// How dates are written.
    date_format: DateFormat,
    /// The import date (`YYYY-MM-DD`): no payment is dated after it.
    today: String,
    /// The optional columns of this kind: there `-` clears the stored value.
    optional: &'static [&'static str],
}

impl Parser {
    /// Checks the header; the error names every missing required column.
    pub fn new(
        kind: FileKind,
        csv: &CsvFile,
        indexes: &Indexes,
        opts: &Options,
    ) -> Result<Parser, String> {
        let (required, optional) = columns(kind);
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| csv.column(c).is_none())
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            return Err(format!(
                "missing required column{} {} (the header has: {})",
                if missing.len() > 1 { "s" } else { "" },
                list.join(", "),
                csv.headers.join(", ")
            ));
        }
        let mut index = Columns::default();
        for c in required.iter().chain(optional.iter()) {
            if let Some(i) = csv.column(c) {
                index.insert(c, i);
            }
        }
        let target = match kind {
            FileKind::Customers => Some(FieldTarget::Customer),
            FileKind::Items => Some(FieldTarget::Item),
            _ => None,
        };
        let mut custom = Vec::new();
        if let Some(target) = target {
            for (i, h) in csv.headers.iter().enumerate() {
                if !index.holds(i) && !h.is_empty() {
                    let ty = indexes
                        .fields
                        .iter()
                        .find(|f| f.target == target && &f.name == h)
                        .map(|f| f.ty.clone());
                    custom.push((i, h.clone(), ty));
                }
            }
        }
        Ok(Parser {
            kind,
            index,
            custom,
            date_format: opts.date_format,
            today: opts.today.format("%Y-%m-%d").to_string(),
            optional,
        })
    }

    /// Whether a record is checked against the indexes alone, whatever the
    /// rows before it (items, contacts, assignments): then records can be
    /// checked on several threads. A colleague or a customer is added to
    /// the indexes as its row is read, for the rows after it.
    pub fn independent(&self) -> bool {
        !matches!(self.kind, FileKind::Colleagues | FileKind::Customers)
    }

    /// Checks one record into a row in table order (with what it says
    /// beside the table's columns), and says everything wrong with it.
    /// Then [`FileChecks::admit`] takes it, in file order.
    pub fn check(&self, rec: &Record<'_>, ix: &Indexes) -> Checked {
        let mut r = Reader {
            rec,
            index: &self.index,
            optional: self.optional,
            errors: Vec::new(),
            date_format: self.date_format,
        };
        let mut paid_on = None;
        let mut added = None;
        let row = match self.kind {
            FileKind::Colleagues => {
                let (row, colleague) = parties::colleague(&mut r, ix);
                added = colleague;
                row
            }
            FileKind::Customers => {
                let (row, customer) = parties::customer(&mut r, ix, &self.custom);
                added = customer;
                row
            }
            FileKind::Contacts => parties::contact(&mut r, ix),
            FileKind::Assignments => parties::assignment(&mut r, ix),
            FileKind::Items => {
                paid_on = items::paid_on(&mut r, &self.today);
                items::item(&mut r, ix, &self.custom)
            }
        };
        let (parts, n) = self.key_parts(&row);
        let key = &parts[..n];
        let key = key.iter().all(|k| !k.is_empty()).then(|| fingerprint(key));
        Checked {
            parsed: Parsed { row, paid_on },
            errors: r.errors,
            key,
            added,
        }
    }

    /// The key columns of a row, as text (empty when not given): the
    /// first `n` of the array.
    fn key_parts<'r>(&self, row: &'r Row) -> ([&'r str; MAX_KEYS], usize) {
        let mut parts = [""; MAX_KEYS];
        let nkeys = self.kind.table().keys.len();
        for (part, v) in parts.iter_mut().zip(&row[..nkeys]) {
            *part = v.as_text().unwrap_or_default();
        }
        (parts, nkeys)
    }

    /// A row's key as messages write it: `C001/INV-1`.
    pub fn key_text(&self, row: &Row) -> String {
        let (parts, n) = self.key_parts(row);
        parts[..n].join("/")
    }
}

/// Key columns of a table, at most (assignments have three).
const MAX_KEYS: usize = 3;
const _: () = {
    let mut i = 0;
    while i < FileKind::ALL.len() {
        assert!(FileKind::ALL[i].table().keys.len() <= MAX_KEYS);
        i += 1;
    }
};

/// What is checked across the rows of a file, in file order: keys seen
/// once only, what the rows add to the indexes, and group leaders (checked
/// at the end, against every customer).
#[derive(Default)]
pub struct FileChecks {
    /// Fingerprint of each key seen → its line, for duplicate keys.
    seen: HashMap<u128, u64>,
    /// `(line, code, leader)` of grouped customers, checked at the end.
    leaders: Vec<(u64, String, String)>,
}

impl FileChecks {
    /// Adds what a checked row (on `line`) adds to the indexes: a
    /// colleague or a customer, valid or not, for the rows after it. A
    /// file whose rows add to the indexes is checked one row after another.
    pub fn add(&mut self, line: u64, checked: &mut Checked, ix: &mut Indexes) {
        match checked.added.take() {
            None => {}
            Some(Added::Colleague(email, role)) => {
                ix.colleagues.insert(email, role);
            }
            Some(Added::Customer(code, info)) => {
                if let Some(leader) = &info.leader {
                    self.leaders.push((line, code.clone(), leader.clone()));
                }
                ix.customers.insert(code, info);
            }
        }
    }

    /// Takes the key of the row on `line`, valid or not: the message for
    /// a key an earlier row has, naming that row's line, else none.
    /// `key_text` writes the key, for the message.
    pub fn admit(
        &mut self,
        line: u64,
        key: Option<u128>,
        key_text: impl FnOnce() -> String,
    ) -> Option<String> {
        match self.seen.entry(key?) {
            Entry::Occupied(first) => Some(format!(
                "duplicate key {} (first on line {})",
                key_text(),
                first.get()
            )),
            Entry::Vacant(vacant) => {
                vacant.insert(line);
                None
            }
        }
    }

    /// Room for the keys of about `rows` rows more, so that the map of
    /// keys is not grown (and copied) again and again.
    pub fn reserve(&mut self, rows: usize) {
        self.seen.reserve(rows);
    }

    /// Checks that need the whole file: group leaders exist and groups have one level.
    pub fn finish(&self, ix: &Indexes) -> Vec<(u64, String)> {
        let mut errors = Vec::new();
        for (line, code, leader) in &self.leaders {
            match ix.customers.get(leader) {
                _ if leader == code => {
                    errors.push((*line, format!("group_leader of {code} is itself")))
                }
                None => errors.push((
                    *line,
                    format!("group_leader \"{leader}\" is not a known customer"),
                )),
                Some(info) => {
                    if let Some(upper) = &info.leader {
                        errors.push((
                            *line,
                            format!("group_leader \"{leader}\" is itself grouped under \"{upper}\" (groups have one level)"),
                        ));
                    }
                }
            }
        }
        errors.sort();
        errors
    }
}

fn text(v: Option<String>) -> Val {
    Val::Text(v)
}

/// ` (did you mean "x"?)` when one candidate is close.
fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates).map_or_else(String::new, |c| format!(" (did you mean \"{c}\"?)"))
}

/// A 128-bit fingerprint of a key (two independently seeded 64-bit
/// hashes): collisions are out of reach for any file.
fn fingerprint(parts: &[&str]) -> u128 {
    const FIRST: foldhash::quality::FixedState = foldhash::quality::FixedState::with_seed(1);
    const SECOND: foldhash::quality::FixedState =
        foldhash::quality::FixedState::with_seed(0x9e37_79b9_7f4a_7c15);
    (u128::from(FIRST.hash_one(parts)) << 64) | u128::from(SECOND.hash_one(parts))
}
