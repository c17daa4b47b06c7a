//! From a CSV record to a validated row, per kind of file (DATA.md).

use std::hash::BuildHasher;

use foldhash::{HashMap, HashMapExt};

use chrono::NaiveDate;
use relance_dsl::check::valid_address;
use relance_dsl::diagnostic::closest;
use relance_dsl::model::{COLLEAGUE_ROLES, Config, FieldDef, FieldTarget, Type};

use super::csvfile::{CsvFile, Record};
use super::{DateFormat, Kind, Options};
use crate::money::{self, Minor};
use crate::store::records;
use crate::store::table::{Row, Val, tables};
use crate::store::{StoreError, Tx};

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
        let customers = records::customer_index(tx)
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
        let colleagues = records::colleague_index(tx).await?.into_iter().collect();
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
fn columns(kind: Kind) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        Kind::Colleagues => (&["email", "name"], &["role", "phone"]),
        Kind::Customers => (
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
        Kind::Contacts => (
            &["customer", "email"],
            &["name", "role", "language", "phone"],
        ),
        Kind::Assignments => (&["customer", "colleague"], &["role"]),
        Kind::Items => (
            &["customer", "reference", "type", "due_date", "amount"],
            &[
                "issue_date",
                "remaining",
                "currency",
                "status",
                "promise_date",
                "comment",
            ],
        ),
    }
}

/// Reads the records of one file.
pub struct Parser {
    /// The kind of file.
    kind: Kind,
    /// Column name → index in the record.
    index: HashMap<&'static str, usize>,
    /// Custom columns: index, name, declared type.
    custom: Vec<(usize, String, Option<Type>)>,
    /// How dates are written.
    date_format: DateFormat,
    /// Fingerprint of each key seen → its line, for duplicate keys.
    seen: HashMap<u128, u64>,
    /// `(line, code, leader)` of grouped customers, checked at the end.
    leaders: Vec<(u64, String, String)>,
    /// The optional columns of this kind: there `-` clears the stored value.
    optional: &'static [&'static str],
}

impl Parser {
    /// Checks the header; the error names every missing required column.
    pub fn new(
        kind: Kind,
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
        let mut index = HashMap::new();
        for c in required.iter().chain(optional.iter()) {
            if let Some(i) = csv.column(c) {
                index.insert(*c, i);
            }
        }
        let target = match kind {
            Kind::Customers => Some(FieldTarget::Customer),
            Kind::Items => Some(FieldTarget::Item),
            _ => None,
        };
        let mut custom = Vec::new();
        if let Some(target) = target {
            for (i, h) in csv.headers.iter().enumerate() {
                if !index.values().any(|&j| j == i) && !h.is_empty() {
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
            seen: HashMap::new(),
            leaders: Vec::new(),
            optional,
        })
    }

    /// Validates one record into a row in table order, or says everything wrong with it.
    pub fn row(&mut self, rec: &Record<'_>, ix: &mut Indexes) -> Result<Row, Vec<String>> {
        let mut r = Reader {
            rec,
            index: &self.index,
            optional: self.optional,
            errors: Vec::new(),
            date_format: self.date_format,
        };
        let row = match self.kind {
            Kind::Colleagues => {
                let email = r.address("email");
                let name = r.required("name");
                // Unsaid, the role stays what is stored (or `collector`).
                let role = r
                    .get("role")
                    .map(str::to_string)
                    .or_else(|| email.as_ref().and_then(|e| ix.colleagues.get(e)).cloned())
                    .unwrap_or_else(|| "collector".to_string());
                if !COLLEAGUE_ROLES.contains(&role.as_str()) {
                    r.fail(format!(
                        "role \"{role}\" is not a colleague role (collector, sales, manager){}",
                        suggest(&role, COLLEAGUE_ROLES.iter().copied())
                    ));
                }
                if let Some(email) = &email {
                    ix.colleagues.insert(email.clone(), role.clone());
                }
                vec![
                    text(email),
                    text(name),
                    Val::Text(Some(role)),
                    r.opt("phone"),
                ]
            }
            Kind::Customers => {
                let code = r.code("code");
                let name = r.required("name");
                // What the store (or an earlier file of this call) holds:
                // an unsaid currency or group leader stays.
                let stored = code.as_ref().and_then(|c| ix.customers.get(c)).cloned();
                let language = r.language("language");
                let timezone = r.get("timezone").map(str::to_string);
                if let Some(tz) = &timezone
                    && tz.parse::<chrono_tz::Tz>().is_err()
                {
                    r.fail(format!(
                        "timezone \"{tz}\" is unknown{}",
                        suggest(tz, chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()))
                    ));
                }
                let scenario = r.get("scenario").map(str::to_string);
                if let Some(s) = &scenario
                    && !ix.scenarios.contains(s)
                {
                    r.fail(format!(
                        "scenario \"{s}\" is not in the configuration{}",
                        suggest(s, ix.scenarios.iter().map(String::as_str))
                    ));
                }
                let leader = match r.cell("group_leader") {
                    Cell::Unsaid => stored.as_ref().and_then(|s| s.leader.clone()),
                    _ => r.get("group_leader").map(str::to_string),
                };
                let currency = match r.cell("currency") {
                    Cell::Unsaid => stored.as_ref().and_then(|s| s.currency.clone()),
                    _ => r.currency("currency"),
                };
                let credit_currency = currency.clone().unwrap_or_else(|| ix.currency.clone());
                let credit_limit = r.amount("credit_limit", &credit_currency);
                let custom = r.custom(&self.custom);
                if let (Some(code), Some(leader)) = (&code, &leader) {
                    self.leaders.push((rec.line, code.clone(), leader.clone()));
                }
                if let Some(code) = &code {
                    ix.customers.insert(
                        code.clone(),
                        CustomerInfo {
                            currency: currency.clone(),
                            leader: leader.clone(),
                        },
                    );
                }
                vec![
                    text(code),
                    text(name),
                    r.keep("language", text(language)),
                    r.keep("timezone", text(timezone)),
                    r.keep("scenario", text(scenario)),
                    text(leader),
                    r.keep("credit_limit", Val::Int(credit_limit)),
                    text(currency),
                    Val::Text(Some(custom)),
                    r.opt("address"),
                    r.opt("postcode"),
                    r.opt("city"),
                    r.opt("country"),
                ]
            }
            Kind::Contacts => {
                let customer = r.customer(ix);
                let email = r.address("email");
                let role = r.get("role").unwrap_or("billing").to_string();
                if !role
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    r.fail(format!(
                        "role \"{role}\" must be a lower-case word such as billing"
                    ));
                }
                let language = r.language("language");
                vec![
                    text(customer),
                    text(email),
                    r.opt("name"),
                    r.keep("role", Val::Text(Some(role))),
                    r.keep("language", text(language)),
                    r.opt("phone"),
                ]
            }
            Kind::Assignments => {
                let customer = r.customer(ix);
                let colleague = r.required("colleague");
                let known_role = colleague
                    .as_ref()
                    .and_then(|c| ix.colleagues.get(c))
                    .cloned();
                if let (Some(c), None) = (&colleague, &known_role) {
                    r.fail(format!("colleague \"{c}\" is unknown (import colleagues first, or in the same call)"));
                }
                let role = r.get("role").map(str::to_string).or(known_role);
                if let Some(role) = &role
                    && !COLLEAGUE_ROLES.contains(&role.as_str())
                {
                    r.fail(format!(
                        "role \"{role}\" is not a colleague role (collector, sales, manager){}",
                        suggest(role, COLLEAGUE_ROLES.iter().copied())
                    ));
                }
                vec![text(customer), text(role), text(colleague)]
            }
            Kind::Items => {
                let customer = r.customer(ix);
                let reference = r.required("reference");
                let kind = r.required("type");
                if let Some(k) = &kind {
                    const TYPES: &[&str] = &["invoice", "credit_note", "debit_note", "payment"];
                    if !TYPES.contains(&k.as_str()) {
                        r.fail(format!("type \"{k}\" is not one of invoice, credit_note, debit_note, payment{}", suggest(k, TYPES.iter().copied())));
                    }
                }
                let issue_date = r.date("issue_date");
                let due_date = r.date("due_date");
                if r.get("due_date").is_none() {
                    r.fail("due_date is missing".into());
                }
                let currency = r
                    .currency("currency")
                    .or_else(|| {
                        customer
                            .as_ref()
                            .and_then(|c| ix.customers.get(c))
                            .and_then(|c| c.currency.clone())
                    })
                    .unwrap_or_else(|| ix.currency.clone());
                let amount = r.amount("amount", &currency);
                if r.get("amount").is_none() {
                    r.fail("amount is missing".into());
                }
                let remaining = if r.get("remaining").is_some() {
                    r.amount("remaining", &currency)
                } else {
                    amount
                };
                if let (Some(a), Some(rem)) = (amount, remaining)
                    && rem > a
                {
                    r.fail(format!(
                        "remaining {} is more than amount {}",
                        Minor {
                            amount: rem,
                            currency: &currency
                        },
                        Minor {
                            amount: a,
                            currency: &currency
                        }
                    ));
                }
                let status = r.get("status").map(str::to_string);
                if let Some(s) = &status
                    && !ix.statuses.contains(s)
                {
                    let hint = if ix.statuses.is_empty() {
                        " (the configuration declares no status)".to_string()
                    } else {
                        suggest(s, ix.statuses.iter().map(String::as_str))
                    };
                    r.fail(format!(
                        "status \"{s}\" is not a status of the configuration{hint}"
                    ));
                }
                let promise_date = r.date("promise_date");
                let custom = r.custom(&self.custom);
                let status_cell = r.cell("status");
                let mut status = r.keep("status", text(status));
                let mut promise_date = r.keep("promise_date", text(promise_date));
                let mut comment = r.opt("comment");
                if status_cell == Cell::Clear {
                    // Clearing a status clears its qualification, as
                    // `relance status clear` does, unless the row says more.
                    status = Val::Text(None);
                    for v in [&mut promise_date, &mut comment] {
                        if matches!(v, Val::Keep(_)) {
                            *v = Val::Text(None);
                        }
                    }
                }
                vec![
                    text(customer),
                    text(reference),
                    text(kind),
                    r.keep("issue_date", text(issue_date)),
                    text(due_date),
                    Val::Int(amount),
                    Val::Int(remaining),
                    Val::Text(Some(currency)),
                    status,
                    promise_date,
                    comment,
                    Val::Text(Some(custom)),
                    Val::Text(None),
                    Val::Text(None),
                    Val::Int(None),
                ]
            }
        };
        let mut errors = r.errors;
        let nkeys = self.kind.table().keys.len();
        let key: Vec<&str> = row[..nkeys]
            .iter()
            .map(|v| v.as_text().unwrap_or_default())
            .collect();
        if key.iter().all(|k| !k.is_empty()) {
            let fingerprint = fingerprint(&key);
            if let Some(first) = self.seen.get(&fingerprint) {
                errors.push(format!(
                    "duplicate key {} (first on line {first})",
                    key.join("/")
                ));
            } else {
                self.seen.insert(fingerprint, rec.line);
            }
        }
        if errors.is_empty() {
            Ok(row)
        } else {
            Err(errors)
        }
    }

    /// Checks that need the whole file: group leaders exist and groups have one level.
    pub fn finish(&mut self, ix: &Indexes) -> Vec<(u64, String)> {
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

// Column positions in items rows.
const STATUS: usize = tables::ITEMS.position("status");
const REMAINING: usize = tables::ITEMS.position("remaining");
const STATUS_SINCE: usize = tables::ITEMS.position("status_since");
const CLEARED_ON: usize = tables::ITEMS.position("cleared_on");
const PROMISE_DATE: usize = tables::ITEMS.position("promise_date");
const COMMENT: usize = tables::ITEMS.position("comment");
const ITEMS_CUSTOM: usize = tables::ITEMS.position("custom");
const CUSTOMERS_CUSTOM: usize = tables::CUSTOMERS.position("custom");

/// Resolves what a row leaves unsaid against the stored row (`old`, when
/// there is one): a `Keep` takes the stored value (or, for a new row, its
/// default), and custom fields merge into the stored ones (a `-` cell
/// removes its field). Runs before the row is compared or written.
pub fn resolve(kind: Kind, row: &mut Row, old: Option<&Row>) {
    for (i, v) in row.iter_mut().enumerate() {
        if let Val::Keep(default) = v {
            *v = match old.and_then(|o| o.get(i)) {
                Some(stored) => stored.clone(),
                None => std::mem::replace(default.as_mut(), Val::Text(None)),
            };
        }
    }
    let custom = match kind {
        Kind::Items => ITEMS_CUSTOM,
        Kind::Customers => CUSTOMERS_CUSTOM,
        _ => return,
    };
    let stored = old.and_then(|o| o[custom].as_text());
    if let Val::Text(Some(new)) = &mut row[custom] {
        *new = merge_custom(stored, new);
    }
}

/// The stored custom fields (a JSON object) with the row's merged in:
/// a field set replaces, a `null` (the `-` cell) removes.
fn merge_custom(stored: Option<&str>, new: &str) -> String {
    if new == "{}" {
        return stored.unwrap_or("{}").to_string();
    }
    let mut merged: serde_json::Map<String, serde_json::Value> = stored
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(new).unwrap_or_default();
    for (name, value) in fields {
        if value.is_null() {
            merged.remove(&name);
        } else {
            merged.insert(name, value);
        }
    }
    serde_json::Value::Object(merged).to_string()
}

/// The derived columns of an items row: `status_since`, `cleared_on`, `seen_import`.
pub fn derive_item(row: &Row, old: Option<&Row>, today: &str, import_id: i64) -> [Val; 3] {
    let status = row[STATUS].as_text();
    let since = match (status, old) {
        (None, _) => None,
        (Some(s), Some(old)) if old[STATUS].as_text() == Some(s) => {
            old[STATUS_SINCE].as_text().map(str::to_string)
        }
        (Some(_), _) => Some(today.to_string()),
    };
    let cleared = if row[REMAINING].as_int().unwrap_or(0) > 0 {
        None
    } else {
        old.and_then(|o| o[CLEARED_ON].as_text().map(str::to_string))
            .or_else(|| Some(today.to_string()))
    };
    [
        Val::Text(since),
        Val::Text(cleared),
        Val::Int(Some(import_id)),
    ]
}

/// A JSON description of the status change an items row makes, if any:
/// the statuses before and after, the promise date and comment now, and
/// who ran the import (`by`) under which id.
pub fn status_change(row: &Row, old: Option<&Row>, by: &str, import_id: i64) -> Option<String> {
    let new = row[STATUS].as_text();
    let before = old.and_then(|o| o[STATUS].as_text());
    if new == before {
        return None;
    }
    Some(
        serde_json::json!({
            "from": before,
            "to": new,
            "promise_date": row[PROMISE_DATE].as_text(),
            "comment": row[COMMENT].as_text(),
            "by": by,
            "import": import_id,
        })
        .to_string(),
    )
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

/// The cell that clears a stored value in an optional column.
pub const CLEAR: &str = "-";

/// What a row says of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell<'a> {
    /// Nothing: the column is absent or the cell empty. What is stored stays.
    Unsaid,
    /// `-` in an optional column: the stored value is removed.
    Clear,
    /// A value.
    Value(&'a str),
}

/// Field access for one record, collecting problems.
struct Reader<'r, 'a> {
    rec: &'r Record<'a>,
    index: &'r HashMap<&'static str, usize>,
    /// The optional columns of the kind (where `-` clears).
    optional: &'static [&'static str],
    errors: Vec<String>,
    date_format: DateFormat,
}

impl Reader<'_, '_> {
    fn fail(&mut self, message: String) {
        self.errors.push(message);
    }

    /// A non-empty value (in an optional column, `-` is no value: it clears).
    fn get(&self, column: &str) -> Option<&str> {
        match self.cell(column) {
            Cell::Value(v) => Some(v),
            Cell::Unsaid | Cell::Clear => None,
        }
    }

    /// What the file says of a column on this row.
    fn cell(&self, column: &str) -> Cell<'_> {
        let Some(v) = self
            .index
            .get(column)
            .and_then(|&i| self.rec.fields.get(i).copied())
            .filter(|v| !v.is_empty())
        else {
            return Cell::Unsaid;
        };
        if v == CLEAR && self.optional.contains(&column) {
            Cell::Clear
        } else {
            Cell::Value(v)
        }
    }

    /// `value` (read from `column`) as written: when the file leaves the
    /// column unsaid, a stored row keeps its own and `value` is the default
    /// of a new row.
    fn keep(&self, column: &str, value: Val) -> Val {
        match self.cell(column) {
            Cell::Unsaid => Val::Keep(Box::new(value)),
            Cell::Clear | Cell::Value(_) => value,
        }
    }

    /// An optional text column, kept when unsaid.
    fn opt(&self, column: &str) -> Val {
        self.keep(column, Val::Text(self.get(column).map(str::to_string)))
    }

    fn required(&mut self, column: &str) -> Option<String> {
        let v = self.get(column).map(str::to_string);
        if v.is_none() {
            self.fail(format!("{column} is missing"));
        }
        v
    }

    fn code(&mut self, column: &str) -> Option<String> {
        let v = self.required(column)?;
        if v.chars().any(|c| c.is_whitespace() || c == '/') {
            self.fail(format!("{column} \"{v}\" may not contain spaces or `/`"));
        }
        Some(v)
    }

    /// An email address that can be sent to without SMTP extensions: an
    /// ASCII mailbox name (a non-ASCII one needs SMTPUTF8, which relance
    /// does not use), and a domain that is ASCII or valid IDNA (sent as
    /// punycode). Stored as written, lower-cased. docs/data.md.
    fn address(&mut self, column: &str) -> Option<String> {
        let v = self.required(column)?;
        if !valid_address(&v) {
            self.fail(format!("{column} \"{v}\" is not an email address"));
        } else if let Some((local, domain)) = v.rsplit_once('@') {
            if !local.is_ascii() {
                self.fail(format!(
                    "{column} \"{v}\": the mailbox name before @ must be ASCII \
                     (a non-ASCII one needs SMTPUTF8, which relance does not use)"
                ));
            } else if !domain.is_ascii() && idna::domain_to_ascii(domain).is_err() {
                self.fail(format!(
                    "{column} \"{v}\": the domain is not a valid internationalised domain name"
                ));
            }
        }
        Some(v.to_lowercase())
    }

    fn customer(&mut self, ix: &Indexes) -> Option<String> {
        let v = self.required("customer")?;
        if !ix.customers.contains_key(&v) {
            self.fail(format!(
                "customer \"{v}\" is unknown (not in the store nor in this import)"
            ));
        }
        Some(v)
    }

    fn language(&mut self, column: &str) -> Option<String> {
        let v = self.get(column)?.to_string();
        if !relance_dsl::check::valid_language(&v) {
            self.fail(format!(
                "{column} \"{v}\" is not a language code such as en or fr"
            ));
        }
        Some(v)
    }

    fn currency(&mut self, column: &str) -> Option<String> {
        let v = self.get(column)?.to_uppercase();
        if iso_currency::Currency::from_code(&v).is_none() {
            self.fail(format!("{column} \"{v}\" is not an ISO 4217 currency"));
        }
        Some(v)
    }

    fn amount(&mut self, column: &str, currency: &str) -> Option<i64> {
        let v = self.get(column)?;
        match money::parse_minor(v, currency) {
            Ok(minor) => Some(minor),
            Err(e) => {
                let message = format!("{column} \"{v}\" {e}");
                self.fail(message);
                None
            }
        }
    }

    fn parse_date(&self, v: &str) -> Option<NaiveDate> {
        match self.date_format {
            DateFormat::Iso => {
                crate::date::canonical(v).or_else(|| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
            }
            DateFormat::Dmy => NaiveDate::parse_from_str(v, "%d/%m/%Y").ok(),
        }
        .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
    }

    fn date(&mut self, column: &str) -> Option<String> {
        let v = self.get(column)?.to_string();
        match self.parse_date(&v) {
            // Already canonical: keep the text (formatting costs more than parsing).
            Some(_) if self.date_format == DateFormat::Iso && v.len() == 10 => Some(v),
            Some(d) => Some(d.format("%Y-%m-%d").to_string()),
            None => {
                let hint = match self.date_format {
                    DateFormat::Iso if v.contains('/') => {
                        " (for DD/MM/YYYY dates, use --date-format dmy)"
                    }
                    DateFormat::Iso => " (dates are YYYY-MM-DD)",
                    DateFormat::Dmy => " (dates are DD/MM/YYYY with --date-format dmy)",
                };
                self.fail(format!("{column} \"{v}\" is not a date{hint}"));
                None
            }
        }
    }

    /// Custom columns as a JSON object; declared fields are checked against their type.
    fn custom(&mut self, custom: &[(usize, String, Option<Type>)]) -> String {
        if custom.is_empty() {
            return "{}".to_string();
        }
        let mut map = serde_json::Map::new();
        for (i, name, ty) in custom {
            let Some(v) = self.rec.fields.get(*i).copied().filter(|v| !v.is_empty()) else {
                continue;
            };
            if v == CLEAR {
                // Removed from the stored fields (see `resolve`).
                map.insert(name.clone(), serde_json::Value::Null);
                continue;
            }
            let value = match ty {
                Some(Type::Number) => match v.replace(',', ".").parse::<f64>() {
                    Ok(n) if n.is_finite() => serde_json::json!(n),
                    _ => {
                        self.fail(format!(
                            "{name} \"{v}\" is not a number (declared `field … {name} number`)"
                        ));
                        continue;
                    }
                },
                Some(Type::Date) => match self.parse_date(v) {
                    Some(d) => serde_json::json!(d.format("%Y-%m-%d").to_string()),
                    None => {
                        self.fail(format!(
                            "{name} \"{v}\" is not a date (declared `field … {name} date`)"
                        ));
                        continue;
                    }
                },
                Some(Type::Bool) => match v.to_lowercase().as_str() {
                    "true" | "yes" | "1" | "y" => serde_json::json!(true),
                    "false" | "no" | "0" | "n" => serde_json::json!(false),
                    _ => {
                        self.fail(format!("{name} \"{v}\" is not true or false (declared `field … {name} boolean`)"));
                        continue;
                    }
                },
                _ => serde_json::json!(v),
            };
            map.insert(name.clone(), value);
        }
        serde_json::Value::Object(map).to_string()
    }
}
