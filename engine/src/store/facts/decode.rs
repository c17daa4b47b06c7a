//! Decoding the rows [`read`](super::read) selects: items, and the text
//! columns decoded as they are read (dates, item types, custom fields),
//! from either source's rows.

use chrono::NaiveDate;
use serde::de::{Deserialize, Deserializer, Visitor};

use super::super::StoreError;
use super::{Item, ItemType, custom_fields};

/// A row of `items` as [`read`](super::read) selects it. The kind, the dates and the
/// custom fields are decoded as the text is read, without a `String` each.
#[derive(serde::Deserialize)]
pub(super) struct ItemRow {
    pub(super) customer: String,
    pub(super) reference: String,
    kind: ItemTypeText,
    issue_date: Option<DateText>,
    due_date: DateText,
    amount: i64,
    remaining: i64,
    currency: String,
    status: Option<String>,
    status_since: Option<DateText>,
    promise_date: Option<DateText>,
    comment: Option<String>,
    custom: Custom,
}

impl ItemRow {
    pub(super) fn into_item(self) -> Result<Item, StoreError> {
        let (customer, reference) = (&self.customer, &self.reference);
        let of = |field: &'static str| move || format!("item {customer}/{reference}: {field}");
        let opt = |d: Option<DateText>, field| d.map(|d| d.date(of(field))).transpose();
        Ok(Item {
            kind: self.kind.0,
            issue_date: opt(self.issue_date, "issue_date")?,
            due_date: self.due_date.date(of("due_date"))?,
            status_since: opt(self.status_since, "status_since")?,
            promise_date: opt(self.promise_date, "promise_date")?,
            custom: self.custom.0,
            amount: self.amount,
            remaining: self.remaining,
            currency: self.currency,
            status: self.status,
            comment: self.comment,
            steps: Vec::new(),
            customer: self.customer,
            reference: self.reference,
        })
    }
}

/// A date column, parsed as it is read; text that is no date (only in a
/// database edited by hand) is kept to be reported.
pub(super) enum DateText {
    Date(NaiveDate),
    Not(String),
}

impl DateText {
    /// The date, or an error naming `what` (the row and column).
    pub(super) fn date(self, what: impl FnOnce() -> String) -> Result<NaiveDate, StoreError> {
        match self {
            DateText::Date(d) => Ok(d),
            DateText::Not(text) => Err(StoreError::Decode {
                what: "reading accounts",
                reason: format!("{} {text:?} is not a date", what()),
            }),
        }
    }
}

/// An item's `type`.
struct ItemTypeText(ItemType);

/// Custom fields, stored as a JSON object in text; anything else (only in a
/// database edited by hand) reads as no field.
struct Custom(serde_json::Map<String, serde_json::Value>);

/// Implements reading `$ty` from a text column, in any source's rows (JSON,
/// PostgreSQL's, the SQLite file's),
/// with `$from` (`fn(&str) -> $ty`), borrowing the text.
macro_rules! text_column {
    ($ty:ty, $expecting:literal, $from:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        Ok($from(v))
                    }
                }
                d.deserialize_str(V)
            }
        }

        impl sqlx::Type<sqlx::Postgres> for $ty {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $ty {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                <&str as sqlx::Decode<sqlx::Postgres>>::decode(value).map($from)
            }
        }

        impl rusqlite::types::FromSql for $ty {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                value.as_str().map($from)
            }
        }
    };
}

text_column!(DateText, "a date", |text: &str| {
    crate::date::parse_iso(text).map_or_else(|| DateText::Not(text.to_string()), DateText::Date)
});
text_column!(ItemTypeText, "an item type", |text: &str| ItemTypeText(
    ItemType::parse(text)
));
text_column!(Custom, "custom fields as JSON text", |text: &str| Custom(
    custom_fields(text)
));

impl TryFrom<&rusqlite::Row<'_>> for ItemRow {
    type Error = rusqlite::Error;

    fn try_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRow> {
        Ok(ItemRow {
            customer: row.get(0)?,
            reference: row.get(1)?,
            kind: row.get(2)?,
            issue_date: row.get(3)?,
            due_date: row.get(4)?,
            amount: row.get(5)?,
            remaining: row.get(6)?,
            currency: row.get(7)?,
            status: row.get(8)?,
            status_since: row.get(9)?,
            promise_date: row.get(10)?,
            comment: row.get(11)?,
            custom: row.get(12)?,
        })
    }
}

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for ItemRow {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> sqlx::Result<ItemRow> {
        use sqlx::Row as _;
        Ok(ItemRow {
            customer: row.try_get(0)?,
            reference: row.try_get(1)?,
            kind: row.try_get(2)?,
            issue_date: row.try_get(3)?,
            due_date: row.try_get(4)?,
            amount: row.try_get(5)?,
            remaining: row.try_get(6)?,
            currency: row.try_get(7)?,
            status: row.try_get(8)?,
            status_since: row.try_get(9)?,
            promise_date: row.try_get(10)?,
            comment: row.try_get(11)?,
            custom: row.try_get(12)?,
        })
    }
}
