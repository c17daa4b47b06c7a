//! What the planner reads: collection accounts and everything that belongs
//! to them, loaded for a page of accounts at a time (a few statements per
//! page, whatever its size), never all rows at once.
//!
//! A collection account is a customer without a `group_leader`; the customers
//! grouped under it join it (PLANNING.md): their items are the account's, and
//! the contacts and colleagues are the leader's.

use chrono::NaiveDate;
use foldhash::{HashMap, HashMapExt as _};
use serde::de::{Deserialize, Deserializer, Visitor};
use sqlx::AssertSqlSafe;

use super::{Backend, Params, StoreError, Tx, on_tx};

pub use relance_planner::facts::{
    AccountFacts, ColleagueFacts, ContactFacts, CustomerFacts, Item, ItemColumns, ItemType,
    custom_fields,
};

/// Whose rows a query reads.
#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    /// These codes.
    Codes(&'a [&'a str]),
    /// Codes from the first to the last, inclusive (SQLite only: its text
    /// order is Rust's byte order).
    Range(&'a str, &'a str),
}

/// Where [`read`] takes its rows from.
enum Source<'s> {
    /// A transaction of the store: each query's rows come back from sqlx's
    /// thread as one JSON text.
    Tx(&'s mut Tx),
    /// A connection of its own to the SQLite file, stepped row by row on
    /// the calling thread: nothing is encoded, nothing crosses threads.
    File(&'s mut rusqlite::Connection),
}

/// A row [`read`] selects, decoded from either [`Source`].
trait Row:
    serde::de::DeserializeOwned + for<'r> TryFrom<&'r rusqlite::Row<'r>, Error = rusqlite::Error>
{
}

impl<T> Row for T where
    T: serde::de::DeserializeOwned
        + for<'r> TryFrom<&'r rusqlite::Row<'r>, Error = rusqlite::Error>
{
}

/// Runs `SELECT cols FROM rest` (ORDER BY included), each `col IN ({})` of
/// `rest` written for `scope` by [`with_list`], and returns its rows.
async fn select<T: Row>(
    src: &mut Source<'_>,
    cols: &[&str],
    rest: &str,
    scope: Scope<'_>,
    what: &'static str,
) -> Result<Vec<T>, StoreError> {
    match src {
        Source::Tx(tx) => json_rows(tx, cols, rest, scope, what).await,
        Source::File(conn) => file_rows(conn, cols, rest, scope, what),
    }
}

/// [`select`] on a connection to the SQLite file.
fn file_rows<T: Row>(
    conn: &rusqlite::Connection,
    cols: &[&str],
    rest: &str,
    scope: Scope<'_>,
    what: &'static str,
) -> Result<Vec<T>, StoreError> {
    let sql = format!(
        "SELECT {} FROM {}",
        cols.join(", "),
        with_list(Backend::Sqlite, rest, scope)
    );
    let failed = StoreError::file(what);
    let mut statement = conn.prepare(&sql).map_err(&failed)?;
    let found = match scope {
        Scope::Codes(codes) => statement.query([codes_json(codes, what)?]),
        Scope::Range(first, last) => statement.query([first, last]),
    };
    found
        .and_then(|found| found.mapped(|row| T::try_from(row)).collect())
        .map_err(failed)
}

/// Codes as one JSON array, read by `json_each` in SQLite queries.
fn codes_json(codes: &[&str], what: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(codes).map_err(|e| StoreError::Decode {
        what,
        reason: e.to_string(),
    })
}

/// Runs `SELECT cols FROM rest` (ORDER BY included), each `col IN ({})` of
/// `rest` written for `scope` by [`with_list`], and returns its rows,
/// fetched as one JSON array: a single row crosses from the database to us
/// instead of thousands, which is what reading costs with sqlx (a thread
/// hand-off per row).
async fn json_rows<T: serde::de::DeserializeOwned>(
    tx: &mut Tx,
    cols: &[&str],
    rest: &str,
    scope: Scope<'_>,
    what: &'static str,
) -> Result<Vec<T>, StoreError> {
    let lists = rest.matches("{}").count();
    let rest = with_list(tx.backend(), rest, scope);
    let aliased: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} AS c{i}"))
        .collect();
    let names: Vec<String> = (0..cols.len()).map(|i| format!("c{i}")).collect();
    let inner = format!("SELECT {} FROM {rest}", aliased.join(", "));
    let text: String = match tx {
        Tx::Sqlite(c) => {
            let sql = format!(
                "SELECT json_group_array(json_array({})) FROM ({inner})",
                names.join(", ")
            );
            let q = sqlx::query_scalar(AssertSqlSafe(sql));
            let q = match scope {
                // The codes as one JSON array, read by json_each in the query.
                Scope::Codes(codes) => q.bind(codes_json(codes, what)?),
                Scope::Range(first, last) => q.bind(first.to_string()).bind(last.to_string()),
            };
            q.fetch_one(&mut **c).await
        }
        Tx::Postgres(c) => {
            let sql = format!(
                "SELECT coalesce(json_agg(json_build_array({})), '[]')::text FROM ({inner}) t",
                names.join(", ")
            );
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql));
            let Scope::Codes(codes) = scope else {
                return Err(StoreError::Decode {
                    what,
                    reason: "a range of codes is read on SQLite only".into(),
                });
            };
            for _ in 0..lists {
                for code in codes {
                    q = q.bind(code.to_string());
                }
            }
            q.fetch_one(&mut **c).await
        }
    }
    .map_err(StoreError::query(what))?;
    serde_json::from_str(&text).map_err(|e| StoreError::Decode {
        what,
        reason: e.to_string(),
    })
}

/// A page of account codes in code order, after `after` (exclusive).
pub async fn account_codes(
    tx: &mut Tx,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let mut params = Params::new(tx);
    let mut sql = String::from("SELECT code FROM customers WHERE group_leader IS NULL AND code > ");
    params.push(&mut sql);
    sql.push_str(" ORDER BY code LIMIT ");
    sql.push_str(&limit.to_string());
    let after = after.unwrap_or("").to_string();
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql)).bind(after).fetch_all(&mut **c).await)
        .map_err(StoreError::query("listing accounts"))
}

/// Every account code, in code order.
pub async fn all_account_codes(tx: &mut Tx) -> Result<Vec<String>, StoreError> {
    let sql = "SELECT code FROM customers WHERE group_leader IS NULL ORDER BY code";
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql)).fetch_all(&mut **c).await)
        .map_err(StoreError::query("listing accounts"))
}

/// `template` with each `col IN ({})` written for `scope`: on SQLite a
/// list is one JSON array parameter read with `json_each` (binding a
/// thousand codes one by one costs more than the query) and a range is
/// `col BETWEEN ?1 AND ?2`; on PostgreSQL a list is `n` parameters.
fn with_list(backend: Backend, template: &str, scope: Scope<'_>) -> String {
    let n = match scope {
        Scope::Range(..) => return template.replace(" IN ({})", " BETWEEN ?1 AND ?2"),
        Scope::Codes(codes) => codes.len(),
    };
    let mut params = Params::for_backend(backend);
    let mut parts = template.split("{}");
    let mut sql = String::from(parts.next().unwrap_or(""));
    for part in parts {
        match backend {
            Backend::Sqlite => sql.push_str("SELECT value FROM json_each(?1)"),
            Backend::Postgres => params.list(&mut sql, n),
        }
        sql.push_str(part);
    }
    sql
}

/// Loads the accounts with these codes (at most a few thousand per call).
/// Codes that are no account (unknown, or grouped under another) are skipped.
pub async fn accounts(tx: &mut Tx, codes: &[String]) -> Result<Vec<AccountFacts>, StoreError> {
    accounts_in(tx, codes, Codes::Listed, ItemColumns::ALL).await
}

/// What a list of account codes is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codes {
    /// A run of consecutive accounts in code order (a page of every
    /// account): read by ranges of the indexes on SQLite, from the first
    /// code to the last, rather than by lists of codes. PostgreSQL, whose
    /// text order may not be byte order, reads the codes as a list.
    Page,
    /// Any codes.
    Listed,
}

/// The accounts with these codes, read as `kind` allows, with only the item
/// columns asked for, in `tx`; codes that are no account are skipped.
pub async fn accounts_in(
    tx: &mut Tx,
    codes: &[String],
    kind: Codes,
    columns: ItemColumns,
) -> Result<Vec<AccountFacts>, StoreError> {
    let listed: Vec<&str> = codes.iter().map(String::as_str).collect();
    match scope(tx.backend(), &listed, kind) {
        Some(scope) => read(&mut Source::Tx(tx), scope, columns).await,
        None => Ok(Vec::new()),
    }
}

/// How `codes` are read on `backend`: a page by its range of codes on
/// SQLite, else as a list; `None` when there are none.
fn scope<'a>(backend: Backend, codes: &'a [&'a str], kind: Codes) -> Option<Scope<'a>> {
    let (first, last) = (codes.first()?, codes.last()?);
    Some(match (backend, kind) {
        (Backend::Sqlite, Codes::Page) => Scope::Range(first, last),
        _ => Scope::Codes(codes),
    })
}

/// A connection of its own to a SQLite store's file, reading pages of
/// accounts without sqlx: rows are stepped on the calling thread instead of
/// being encoded as JSON and handed across threads, which makes reading a
/// page several times cheaper (docs/planning.md, "Performance"). Its calls
/// block: use it from a blocking thread.
pub struct FileReader {
    conn: rusqlite::Connection,
}

impl std::fmt::Debug for FileReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileReader").finish_non_exhaustive()
    }
}

impl FileReader {
    /// Opens `path`, read-only.
    pub fn open(path: &std::path::Path) -> Result<FileReader, StoreError> {
        use rusqlite::OpenFlags;
        let what = "opening the store file for reading";
        let conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(StoreError::file(what))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .and_then(|()| conn.pragma_update(None, "mmap_size", super::MMAP_SIZE))
            .map_err(StoreError::file(what))?;
        Ok(FileReader { conn })
    }

    /// As [`accounts_in`], in a read transaction of its own.
    pub fn accounts(
        &mut self,
        codes: &[String],
        kind: Codes,
        columns: ItemColumns,
    ) -> Result<Vec<AccountFacts>, StoreError> {
        let listed: Vec<&str> = codes.iter().map(String::as_str).collect();
        let Some(scope) = scope(Backend::Sqlite, &listed, kind) else {
            return Ok(Vec::new());
        };
        let what = "reading accounts";
        self.conn
            .execute_batch("BEGIN")
            .map_err(StoreError::file(what))?;
        // Reading a file never waits on anything: the future is ready on
        // its first poll.
        let read = {
            let mut source = Source::File(&mut self.conn);
            let future = std::pin::pin!(read(&mut source, scope, columns));
            match future.poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
                std::task::Poll::Ready(read) => read,
                std::task::Poll::Pending => Err(StoreError::Decode {
                    what,
                    reason: "reading the file waited".into(),
                }),
            }
        };
        let ended = self.conn.execute_batch("ROLLBACK");
        let accounts = read?;
        ended.map_err(StoreError::file(what))?;
        Ok(accounts)
    }
}

async fn read(
    src: &mut Source<'_>,
    scope: Scope<'_>,
    columns: ItemColumns,
) -> Result<Vec<AccountFacts>, StoreError> {
    // Leaders and members.
    let sql = "customers WHERE (code IN ({}) AND group_leader IS NULL) OR group_leader IN ({}) ORDER BY code";
    type CustomerRow = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<CustomerRow> = select(
        src,
        &[
            "code",
            "name",
            "language",
            "timezone",
            "scenario",
            "group_leader",
            "credit_limit",
            "currency",
            "custom",
            "address",
            "postcode",
            "city",
            "country",
        ],
        sql,
        scope,
        "reading customers",
    )
    .await?;
    let customers: Vec<CustomerFacts> = rows
        .into_iter()
        .map(
            |(
                code,
                name,
                language,
                timezone,
                scenario,
                group_leader,
                credit_limit,
                currency,
                custom,
                address,
                postcode,
                city,
                country,
            )| {
                CustomerFacts {
                    code,
                    name,
                    language,
                    timezone,
                    scenario,
                    group_leader,
                    credit_limit,
                    currency,
                    custom,
                    address,
                    postcode,
                    city,
                    country,
                }
            },
        )
        .collect();
    let all_codes: Vec<&str> = customers.iter().map(|c| c.code.as_str()).collect();
    if all_codes.is_empty() {
        return Ok(Vec::new());
    }

    // Open items and their steps. For a range, the members grouped under
    // its leaders whose codes fall outside it are read by list (rows of
    // members inside the range whose leader is elsewhere are read too, and
    // left out when the accounts are put together).
    let outside: Vec<&str> = match scope {
        Scope::Codes(_) => Vec::new(),
        Scope::Range(first, last) => customers
            .iter()
            .filter(|c| c.group_leader.is_some())
            .map(|c| c.code.as_str())
            .filter(|code| *code < first || *code > last)
            .collect(),
    };
    let item_scopes: Vec<Scope<'_>> = match scope {
        Scope::Codes(_) => vec![Scope::Codes(&all_codes)],
        Scope::Range(..) if outside.is_empty() => vec![scope],
        Scope::Range(..) => vec![scope, Scope::Codes(&outside)],
    };
    let template = "items WHERE remaining > 0 AND customer IN ({}) ORDER BY customer, reference";
    let mut rows: Vec<ItemRow> = Vec::new();
    for &items_scope in &item_scopes {
        rows.extend(
            select::<ItemRow>(
                src,
                &[
                    "customer",
                    "reference",
                    "type",
                    if columns.issue_date {
                        "issue_date"
                    } else {
                        "NULL"
                    },
                    "due_date",
                    "amount",
                    "remaining",
                    "currency",
                    "status",
                    "status_since",
                    "promise_date",
                    if columns.comment { "comment" } else { "NULL" },
                    if columns.custom { "custom" } else { "'{}'" },
                ],
                template,
                items_scope,
                "reading items",
            )
            .await?,
        );
    }
    if item_scopes.len() > 1 {
        // As one list query would have given them (SQLite's text order is byte order).
        rows.sort_by(|a, b| (&a.customer, &a.reference).cmp(&(&b.customer, &b.reference)));
    }
    let mut items = rows
        .into_iter()
        .map(ItemRow::into_item)
        .collect::<Result<Vec<Item>, StoreError>>()?;
    let mut steps: Vec<(String, String, String, String)> = Vec::new();
    for &items_scope in &item_scopes {
        let sql = "item_steps WHERE customer IN ({}) ORDER BY customer, reference, scenario";
        steps.extend(
            select::<(String, String, String, String)>(
                src,
                &["customer", "reference", "scenario", "step"],
                sql,
                items_scope,
                "reading item steps",
            )
            .await?,
        );
    }
    // Steps by item, borrowed: only items that reached a step clone anything.
    if !steps.is_empty() {
        let mut by_item: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (n, (customer, reference, ..)) in steps.iter().enumerate() {
            by_item
                .entry((customer.as_str(), reference.as_str()))
                .or_default()
                .push(n);
        }
        for item in &mut items {
            if let Some(found) = by_item.get(&(item.customer.as_str(), item.reference.as_str())) {
                item.steps = found
                    .iter()
                    .map(|&n| (steps[n].2.clone(), steps[n].3.clone()))
                    .collect();
            }
        }
    }

    // The leaders' contacts and colleagues.
    let leaders: Vec<&str> = customers
        .iter()
        .filter(|c| c.group_leader.is_none())
        .map(|c| c.code.as_str())
        .collect();
    // In a range, rows of members come too; only the leaders' are kept.
    let leader_scope = match scope {
        Scope::Codes(_) => Scope::Codes(&leaders),
        Scope::Range(..) => scope,
    };
    let sql = "contacts WHERE customer IN ({}) ORDER BY customer, email";
    type ContactRow = (String, String, Option<String>, String, Option<String>);
    let rows: Vec<ContactRow> = select(
        src,
        &["customer", "email", "name", "role", "language"],
        sql,
        leader_scope,
        "reading contacts",
    )
    .await?;
    let contacts: Vec<(String, ContactFacts)> = rows
        .into_iter()
        .map(|(customer, email, name, role, language)| {
            (
                customer,
                ContactFacts {
                    email,
                    name,
                    role,
                    language,
                },
            )
        })
        .collect();
    let sql = "assignments a JOIN colleagues g ON g.email = a.colleague WHERE a.customer IN ({}) \
         ORDER BY a.customer, a.role, g.email";
    type ColleagueRow = (String, String, String, String, Option<String>);
    let rows: Vec<ColleagueRow> = select(
        src,
        &["a.customer", "a.role", "g.email", "g.name", "g.phone"],
        sql,
        leader_scope,
        "reading colleagues",
    )
    .await?;
    let colleagues: Vec<(String, ColleagueFacts)> = rows
        .into_iter()
        .map(|(customer, role, email, name, phone)| {
            (
                customer,
                ColleagueFacts {
                    role,
                    email,
                    name,
                    phone,
                },
            )
        })
        .collect();

    // The last action of each account: its latest by run date, then id.
    let sql = "actions a WHERE a.id IN (SELECT (SELECT b.id FROM actions b WHERE b.account = c.code \
         ORDER BY b.run_date DESC, b.id DESC LIMIT 1) FROM customers c WHERE c.code IN ({})) ORDER BY a.account";
    let actions: Vec<(String, DateText, String)> = select(
        src,
        &["a.account", "a.run_date", "a.step"],
        sql,
        leader_scope,
        "reading actions",
    )
    .await?;

    // What earlier runs left open.
    let sql = "alerts WHERE resolved_on IS NULL AND account IN ({}) ORDER BY account, alert, item";
    let alerts: Vec<(String, String, String)> = select(
        src,
        &["account", "alert", "item"],
        sql,
        leader_scope,
        "reading alerts",
    )
    .await?;
    let sql = "escalations WHERE ended_on IS NULL AND account IN ({}) ORDER BY account, escalation";
    let escalations: Vec<(String, String)> = select(
        src,
        &["account", "escalation"],
        sql,
        leader_scope,
        "reading escalations",
    )
    .await?;
    let sql = "switches WHERE account IN ({}) ORDER BY account, effective_on, id";
    let switches: Vec<(String, DateText, String)> = select(
        src,
        &["account", "effective_on", "scenario"],
        sql,
        leader_scope,
        "reading switches",
    )
    .await?;

    // Assemble, leaders in code order.
    let mut accounts: Vec<AccountFacts> = leaders
        .iter()
        .map(|code| AccountFacts {
            code: (*code).to_string(),
            customers: Vec::new(),
            items: Vec::new(),
            contacts: Vec::new(),
            colleagues: Vec::new(),
            last_action: None,
            open_alerts: Vec::new(),
            escalations: Vec::new(),
            switches: Vec::new(),
        })
        .collect();
    let index: HashMap<String, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.code.clone(), i))
        .collect();
    let mut account_of: HashMap<String, usize> = HashMap::new();
    for customer in customers {
        let leader = customer
            .group_leader
            .clone()
            .unwrap_or_else(|| customer.code.clone());
        if let Some(&i) = index.get(&leader) {
            account_of.insert(customer.code.clone(), i);
            if customer.group_leader.is_none() {
                accounts[i].customers.insert(0, customer);
            } else {
                accounts[i].customers.push(customer);
            }
        }
    }
    for item in items {
        if let Some(&i) = account_of.get(&item.customer) {
            accounts[i].items.push(item);
        }
    }
    for (customer, contact) in contacts {
        if let Some(&i) = index.get(&customer) {
            accounts[i].contacts.push(contact);
        }
    }
    for (customer, colleague) in colleagues {
        if let Some(&i) = index.get(&customer) {
            accounts[i].colleagues.push(colleague);
        }
    }
    for (account, run_date, step) in actions {
        let run_date =
            run_date.date(|| format!("account {account}: the last action's run_date"))?;
        if let Some(&i) = index.get(&account) {
            accounts[i].last_action.get_or_insert((run_date, step));
        }
    }
    for (account, alert, item) in alerts {
        if let Some(&i) = index.get(&account) {
            accounts[i].open_alerts.push((alert, item));
        }
    }
    for (account, escalation) in escalations {
        if let Some(&i) = index.get(&account) {
            accounts[i].escalations.push(escalation);
        }
    }
    for (account, effective_on, scenario) in switches {
        let effective_on =
            effective_on.date(|| format!("account {account}: a switch's effective_on"))?;
        if let Some(&i) = index.get(&account) {
            accounts[i].switches.push((effective_on, scenario));
        }
    }
    Ok(accounts)
}

/// A row of `items` as [`read`] selects it. The kind, the dates and the
/// custom fields are decoded as the text is read, without a `String` each.
#[derive(serde::Deserialize)]
struct ItemRow {
    customer: String,
    reference: String,
    kind: Kind,
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
    fn into_item(self) -> Result<Item, StoreError> {
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
enum DateText {
    Date(NaiveDate),
    Not(String),
}

impl DateText {
    /// The date, or an error naming `what` (the row and column).
    fn date(self, what: impl FnOnce() -> String) -> Result<NaiveDate, StoreError> {
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
struct Kind(ItemType);

/// Custom fields, stored as a JSON object in text; anything else (only in a
/// database edited by hand) reads as no field.
struct Custom(serde_json::Map<String, serde_json::Value>);

/// Implements reading `$ty` from a text column, in either source's rows,
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
text_column!(Kind, "an item type", |text: &str| Kind(ItemType::parse(
    text
)));
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
