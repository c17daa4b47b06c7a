//! Reading the cells of one record: what a row says of each column
//! (unsaid, cleared with `-`, or a value), checked per type of value, with
//! every problem collected.

use chrono::NaiveDate;
use relance_dsl::EmailAddress;
use relance_dsl::model::Type;

use super::super::DateFormat;
use super::super::csvfile::Record;
use super::Indexes;
use crate::money;
use crate::store::table::Val;

/// The cell that clears a stored value in an optional column.
pub const CLEAR: &str = "-";

/// What a row says of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cell<'a> {
    /// Nothing: the column is absent or the cell empty. What is stored stays.
    Unsaid,
    /// `-` in an optional column: the stored value is removed.
    Clear,
    /// A value.
    Value(&'a str),
}

/// Where the known columns of a file are. A dozen names, looked up for
/// every cell of every row: a scan is cheaper than hashing the name.
#[derive(Debug, Default)]
pub(super) struct Columns(Vec<(&'static str, usize)>);

impl Columns {
    /// Column `name` is at `i` (the first one given counts).
    pub(super) fn insert(&mut self, name: &'static str, i: usize) {
        if self.get(name).is_none() {
            self.0.push((name, i));
        }
    }

    /// Where column `name` is, if present.
    pub(super) fn get(&self, name: &str) -> Option<usize> {
        self.0.iter().find(|(n, _)| *n == name).map(|&(_, i)| i)
    }

    /// Whether field `i` is a known column.
    pub(super) fn holds(&self, i: usize) -> bool {
        self.0.iter().any(|&(_, j)| j == i)
    }
}

/// Field access for one record, collecting problems.
pub(super) struct Reader<'r, 'a> {
    pub(super) rec: &'r Record<'a>,
    pub(super) index: &'r Columns,
    /// The optional columns of the kind (where `-` clears).
    pub(super) optional: &'static [&'static str],
    pub(super) errors: Vec<String>,
    pub(super) date_format: DateFormat,
}

impl Reader<'_, '_> {
    pub(super) fn fail(&mut self, message: String) {
        self.errors.push(message);
    }

    /// A non-empty value (in an optional column, `-` is no value: it clears).
    pub(super) fn get(&self, column: &str) -> Option<&str> {
        match self.cell(column) {
            Cell::Value(v) => Some(v),
            Cell::Unsaid | Cell::Clear => None,
        }
    }

    /// What the file says of a column on this row.
    pub(super) fn cell(&self, column: &str) -> Cell<'_> {
        let Some(v) = self
            .index
            .get(column)
            .and_then(|i| self.rec.fields.get(i).copied())
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
    pub(super) fn keep(&self, column: &str, value: Val) -> Val {
        match self.cell(column) {
            Cell::Unsaid => Val::Keep(Box::new(value)),
            Cell::Clear | Cell::Value(_) => value,
        }
    }

    /// An optional text column, kept when unsaid.
    pub(super) fn opt(&self, column: &str) -> Val {
        self.keep(column, Val::Text(self.get(column).map(str::to_string)))
    }

    pub(super) fn required(&mut self, column: &str) -> Option<String> {
        let v = self.get(column).map(str::to_string);
        if v.is_none() {
            self.fail(format!("{column} is missing"));
        }
        v
    }

    pub(super) fn code(&mut self, column: &str) -> Option<String> {
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
    pub(super) fn address(&mut self, column: &str) -> Option<String> {
        let v = self.required(column)?;
        if EmailAddress::parse(&v).is_err() {
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

    pub(super) fn customer(&mut self, ix: &Indexes) -> Option<String> {
        let v = self.required("customer")?;
        if !ix.customers.contains_key(&v) {
            self.fail(format!(
                "customer \"{v}\" is unknown (not in the store nor in this import)"
            ));
        }
        Some(v)
    }

    pub(super) fn language(&mut self, column: &str) -> Option<String> {
        let v = self.get(column)?.to_string();
        if !relance_dsl::check::valid_language(&v) {
            self.fail(format!(
                "{column} \"{v}\" is not a language code such as en or fr"
            ));
        }
        Some(v)
    }

    pub(super) fn currency(&mut self, column: &str) -> Option<String> {
        let v = self.get(column)?.to_uppercase();
        if iso_currency::Currency::from_code(&v).is_none() {
            self.fail(format!("{column} \"{v}\" is not an ISO 4217 currency"));
        }
        Some(v)
    }

    pub(super) fn amount(&mut self, column: &str, currency: &str) -> Option<i64> {
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

    pub(super) fn parse_date(&self, v: &str) -> Option<NaiveDate> {
        match self.date_format {
            DateFormat::Iso => {
                crate::date::canonical(v).or_else(|| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
            }
            DateFormat::Dmy => NaiveDate::parse_from_str(v, "%d/%m/%Y").ok(),
        }
        .filter(|d| (1900..=2200).contains(&chrono::Datelike::year(d)))
    }

    pub(super) fn date(&mut self, column: &str) -> Option<String> {
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
    pub(super) fn custom(&mut self, custom: &[(usize, String, Option<Type>)]) -> String {
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
