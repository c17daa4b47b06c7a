//! What reports read (`reports::load`): the items open on a day or cleared
//! and issued within a window, the payments since a day, the status
//! history, who collects each account and the account of each grouped
//! customer. One read, in one transaction: on SQLite from the file, stepped
//! on the calling thread (no thread hand-off per row, which is what reading
//! a million rows costs through sqlx); on PostgreSQL through sqlx, each
//! query's rows streamed and decoded as they come.

use std::future::poll_fn;
use std::pin::Pin;

use chrono::NaiveDate;
use sqlx::AssertSqlSafe;

use super::{StoreError, Tx, statement};
use crate::date::parse_iso;
use relance_planner::facts::ItemType;

/// Which rows a read takes (ISO dates, compared as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Cleared items cleared on or after this day.
    pub cleared_since: String,
    /// Cleared items issued on or after this day.
    pub issued_since: String,
    /// Payments made on or after this day.
    pub paid_since: String,
    /// Whether most payments are read (a history of years rather than the
    /// days after D): SQLite then scans the table instead of its date
    /// index, three times faster when most rows are read.
    pub most_payments: bool,
    /// Whether the items are read at all.
    pub items: bool,
    /// Whether the status history is read.
    pub status_lines: bool,
    /// Only this account's customers (its own and those grouped under it).
    pub account: Option<String>,
}

impl Window {
    /// `template` (whose customer column is `column`) restricted to the
    /// window's account, and its parameters after `params`.
    fn query<'a>(
        &'a self,
        template: &str,
        column: &str,
        params: &[&'a str],
    ) -> (String, Vec<&'a str>) {
        let mut params = params.to_vec();
        let Some(account) = &self.account else {
            return (template.to_string(), params);
        };
        let restriction = format!(
            " AND {column} IN (SELECT code FROM customers WHERE code = ? OR group_leader = ?)"
        );
        let sql = match template.find(" ORDER BY") {
            Some(at) => format!("{}{restriction}{}", &template[..at], &template[at..]),
            None => format!("{template}{restriction}"),
        };
        params.extend([account.as_str(), account.as_str()]);
        (sql, params)
    }
}

/// An item as reports read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    /// The customer.
    pub customer: String,
    /// The reference.
    pub reference: String,
    /// Its kind.
    pub kind: ItemType,
    /// When it was issued, when known.
    pub issue_date: Option<NaiveDate>,
    /// When it falls due.
    pub due_date: NaiveDate,
    /// Minor units.
    pub amount: i64,
    /// Minor units (0: cleared).
    pub remaining: i64,
    /// Its currency.
    pub currency: String,
    /// Its status.
    pub status: Option<String>,
    /// Since when.
    pub status_since: Option<NaiveDate>,
    /// The promised payment date.
    pub promise_date: Option<NaiveDate>,
    /// The status comment.
    pub comment: Option<String>,
    /// When it was cleared.
    pub cleared_on: Option<NaiveDate>,
}

/// A payment of an invoice or debit note, with the item's due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidRow {
    /// The customer.
    pub customer: String,
    /// The item.
    pub reference: String,
    /// When it was paid.
    pub paid_on: NaiveDate,
    /// Minor units.
    pub amount: i64,
    /// Its currency.
    pub currency: String,
    /// The item's due date.
    pub due_date: NaiveDate,
}

/// A status change in the history: `status_set`, `status_cleared` (a
/// person) or `status_changed` (an import).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    /// When (RFC 3339).
    pub at: String,
    /// The kind.
    pub kind: String,
    /// The customer.
    pub customer: String,
    /// The item.
    pub reference: String,
    /// The line's JSON data.
    pub data: String,
}

/// A status change of an item, with the day the item was cleared, if it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    /// The change.
    pub line: StatusLine,
    /// When its item was cleared.
    pub cleared_on: Option<NaiveDate>,
}

/// Where a read hands the items, one at a time as they are read (a
/// million of them need not be held twice).
pub trait ItemSink: Send {
    /// The collectors and group leaders, before the first item.
    fn begin(&mut self, collectors: Vec<(String, String)>, leaders: Vec<(String, String)>);
    /// An item of the window; they come by customer and reference.
    fn item(&mut self, item: ItemRow);
}

/// Everything a read returns beside the items.
#[derive(Debug, Default)]
pub struct Rows {
    /// Payments in the window, oldest first (those of one day in the order
    /// they were recorded).
    pub payments: Vec<PaidRow>,
    /// Status changes, oldest first (empty unless asked for).
    pub status: Vec<StatusRow>,
    /// Whether the window's account is an account (a customer not grouped
    /// under another); true without one.
    pub account_found: bool,
}

const ITEMS: &str = "SELECT customer, reference, type, issue_date, due_date, amount, remaining, \
     currency, status, status_since, promise_date, comment, cleared_on FROM items \
     WHERE (remaining <> 0 OR cleared_on >= ? OR issue_date >= ?)";
const PAYMENTS: &str = "SELECT p.customer, p.reference, p.paid_on, p.amount, p.currency, \
     i.due_date FROM payments p \
     JOIN items i ON i.customer = p.customer AND i.reference = p.reference \
     WHERE p.paid_on >= ? AND i.type IN ('invoice', 'debit_note') \
     ORDER BY p.paid_on, p.id";
/// [`PAYMENTS`] over the whole table in the order it was written (by
/// `id`), on SQLite; the rows are then sorted by day as [`PAYMENTS`]
/// orders them.
const PAYMENTS_SCANNED: &str = "SELECT p.customer, p.reference, p.paid_on, p.amount, p.currency, \
     i.due_date FROM payments p NOT INDEXED \
     JOIN items i ON i.customer = p.customer AND i.reference = p.reference \
     WHERE p.paid_on >= ? AND i.type IN ('invoice', 'debit_note')";
const STATUS: &str = "SELECT h.at, h.kind, h.customer, h.reference, h.data, i.cleared_on \
     FROM history h LEFT JOIN items i ON i.customer = h.customer AND i.reference = h.reference \
     WHERE h.kind IN ('status_set', 'status_cleared', 'status_changed') \
     AND h.customer IS NOT NULL AND h.reference IS NOT NULL ORDER BY h.at, h.id";
const COLLECTORS: &str = "SELECT customer, colleague FROM assignments WHERE role = 'collector'";
const ACCOUNT: &str = "SELECT code, code FROM customers WHERE code = ? AND group_leader IS NULL";
const LEADERS: &str = "SELECT code, group_leader FROM customers WHERE group_leader IS NOT NULL";

const WHAT: &str = "reading what reports need";

/// A row of either backend, read by column.
trait Cells {
    fn text(&self, i: usize) -> Result<Option<&str>, String>;
    fn int(&self, i: usize) -> Result<i64, String>;

    fn string(&self, i: usize) -> Result<String, String> {
        self.text(i)?
            .map(str::to_string)
            .ok_or_else(|| format!("column {i} is empty"))
    }
    fn opt_string(&self, i: usize) -> Result<Option<String>, String> {
        Ok(self.text(i)?.map(str::to_string))
    }
    fn date(&self, i: usize) -> Result<NaiveDate, String> {
        let text = self.text(i)?.unwrap_or_default();
        parse_iso(text).ok_or_else(|| format!("`{text}` is no date"))
    }
    fn opt_date(&self, i: usize) -> Result<Option<NaiveDate>, String> {
        // Text that is no date (only possible by hand) reads as unknown.
        Ok(self.text(i)?.and_then(parse_iso))
    }
}

impl Cells for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<Option<&str>, String> {
        self.get_ref(i)
            .and_then(|v| v.as_str_or_null().map_err(Into::into))
            .map_err(|e| e.to_string())
    }
    fn int(&self, i: usize) -> Result<i64, String> {
        self.get(i).map_err(|e: rusqlite::Error| e.to_string())
    }
}

impl Cells for sqlx::sqlite::SqliteRow {
    fn text(&self, i: usize) -> Result<Option<&str>, String> {
        sqlx::Row::try_get(self, i).map_err(|e: sqlx::Error| e.to_string())
    }
    fn int(&self, i: usize) -> Result<i64, String> {
        sqlx::Row::try_get(self, i).map_err(|e: sqlx::Error| e.to_string())
    }
}

impl Cells for sqlx::postgres::PgRow {
    fn text(&self, i: usize) -> Result<Option<&str>, String> {
        sqlx::Row::try_get(self, i).map_err(|e: sqlx::Error| e.to_string())
    }
    fn int(&self, i: usize) -> Result<i64, String> {
        sqlx::Row::try_get(self, i).map_err(|e: sqlx::Error| e.to_string())
    }
}

/// A row type decoded from either backend's rows.
trait Decode: Sized {
    fn decode(r: &impl Cells) -> Result<Self, String>;
}

impl Decode for ItemRow {
    fn decode(r: &impl Cells) -> Result<ItemRow, String> {
        Ok(ItemRow {
            customer: r.string(0)?,
            reference: r.string(1)?,
            kind: ItemType::parse(r.text(2)?.unwrap_or_default()),
            issue_date: r.opt_date(3)?,
            due_date: r.date(4)?,
            amount: r.int(5)?,
            remaining: r.int(6)?,
            currency: r.string(7)?,
            status: r.opt_string(8)?,
            status_since: r.opt_date(9)?,
            promise_date: r.opt_date(10)?,
            comment: r.opt_string(11)?,
            cleared_on: r.opt_date(12)?,
        })
    }
}

impl Decode for PaidRow {
    fn decode(r: &impl Cells) -> Result<PaidRow, String> {
        Ok(PaidRow {
            customer: r.string(0)?,
            reference: r.string(1)?,
            paid_on: r.date(2)?,
            amount: r.int(3)?,
            currency: r.string(4)?,
            due_date: r.date(5)?,
        })
    }
}

impl Decode for StatusRow {
    fn decode(r: &impl Cells) -> Result<StatusRow, String> {
        Ok(StatusRow {
            line: StatusLine {
                at: r.string(0)?,
                kind: r.string(1)?,
                customer: r.string(2)?,
                reference: r.string(3)?,
                data: r.string(4)?,
            },
            cleared_on: r.opt_date(5)?,
        })
    }
}

impl Decode for (String, String) {
    fn decode(r: &impl Cells) -> Result<(String, String), String> {
        Ok((r.string(0)?, r.string(1)?))
    }
}

/// Reads what `window` selects from the SQLite file at `path`, in a read
/// transaction of its own, the items into `sink`. Blocks: call it from a
/// blocking thread.
pub fn read_file(
    path: &std::path::Path,
    window: &Window,
    sink: &mut dyn ItemSink,
) -> Result<Rows, StoreError> {
    let conn = super::facts::read_only(path)?;
    conn.execute_batch("BEGIN")
        .map_err(StoreError::file(WHAT))?;
    let read = read_connection(&conn, window, sink);
    let ended = conn.execute_batch("ROLLBACK");
    let rows = read?;
    ended.map_err(StoreError::file(WHAT))?;
    Ok(rows)
}

fn read_connection(
    conn: &rusqlite::Connection,
    window: &Window,
    sink: &mut dyn ItemSink,
) -> Result<Rows, StoreError> {
    fn each<T: Decode>(
        conn: &rusqlite::Connection,
        sql: &str,
        params: &[&str],
        mut f: impl FnMut(T),
    ) -> Result<(), StoreError> {
        let mut statement = conn.prepare(sql).map_err(StoreError::file(WHAT))?;
        let mut rows = statement
            .query(rusqlite::params_from_iter(params))
            .map_err(StoreError::file(WHAT))?;
        while let Some(row) = rows.next().map_err(StoreError::file(WHAT))? {
            f(T::decode(row).map_err(unreadable)?);
        }
        Ok(())
    }
    fn all<T: Decode>(
        conn: &rusqlite::Connection,
        sql: &str,
        params: &[&str],
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        each(conn, sql, params, |row| out.push(row))?;
        Ok(out)
    }
    let w = window;
    let account_found = match &w.account {
        Some(a) => !all::<(String, String)>(conn, ACCOUNT, &[a])?.is_empty(),
        None => true,
    };
    sink.begin(all(conn, COLLECTORS, &[])?, all(conn, LEADERS, &[])?);
    let (items, items_params) = w.query(ITEMS, "customer", &[&w.cleared_since, &w.issued_since]);
    if w.items {
        each(conn, &items, &items_params, |item| sink.item(item))?;
    }
    let scanned = w.most_payments && w.account.is_none();
    let template = if scanned { PAYMENTS_SCANNED } else { PAYMENTS };
    let (payments, payments_params) = w.query(template, "p.customer", &[&w.paid_since]);
    let mut payments: Vec<PaidRow> = all(conn, &payments, &payments_params)?;
    if scanned {
        // Stable: the payments of one day stay in `id` order.
        payments.sort_by_key(|p| p.paid_on);
    }
    let (status, status_params) = w.query(STATUS, "h.customer", &[]);
    Ok(Rows {
        payments,
        status: if w.status_lines {
            all(conn, &status, &status_params)?
        } else {
            Vec::new()
        },
        account_found,
    })
}

fn unreadable(reason: String) -> StoreError {
    StoreError::Decode { what: WHAT, reason }
}

/// Reads what `window` selects through `tx`, the items into `sink` (on
/// SQLite, [`read_file`] is several times faster when the store is a
/// file).
pub async fn read(
    tx: &mut Tx,
    window: &Window,
    sink: &mut dyn ItemSink,
) -> Result<Rows, StoreError> {
    let w = window;
    let account_found = match &w.account {
        Some(a) => !all::<(String, String)>(tx, ACCOUNT, &[a]).await?.is_empty(),
        None => true,
    };
    sink.begin(
        all(tx, COLLECTORS, &[]).await?,
        all(tx, LEADERS, &[]).await?,
    );
    let (items, items_params) = w.query(ITEMS, "customer", &[&w.cleared_since, &w.issued_since]);
    if w.items {
        each(tx, &items, &items_params, |item| sink.item(item)).await?;
    }
    let (payments, payments_params) = w.query(PAYMENTS, "p.customer", &[&w.paid_since]);
    let (status, status_params) = w.query(STATUS, "h.customer", &[]);
    Ok(Rows {
        payments: all(tx, &payments, &payments_params).await?,
        status: if w.status_lines {
            all(tx, &status, &status_params).await?
        } else {
            Vec::new()
        },
        account_found,
    })
}

/// The rows of `template` through `tx`.
async fn all<T: Decode>(
    tx: &mut Tx,
    template: &str,
    params: &[&str],
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    each(tx, template, params, |row| out.push(row)).await?;
    Ok(out)
}

/// Each row of `template` through `tx`, decoded as it comes, to `f`.
async fn each<T: Decode>(
    tx: &mut Tx,
    template: &str,
    params: &[&str],
    mut f: impl FnMut(T),
) -> Result<(), StoreError> {
    let sql = statement(tx, template);
    super::on_tx!(tx, c => {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for p in params {
            q = q.bind(p.to_string());
        }
        let mut rows = q.fetch(&mut **c);
        while let Some(row) =
            poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut rows), cx)).await
        {
            let row = row.map_err(StoreError::query(WHAT))?;
            f(T::decode(&row).map_err(unreadable)?);
        }
        Ok(())
    })
}
