//! What the planner reads: collection accounts and everything that belongs
//! to them, loaded for a page of accounts at a time (a few statements per
//! page, whatever its size), never all rows at once. Reads `customers`,
//! `items`, `item_steps`, `contacts`, `assignments`, `colleagues`,
//! `actions`, `alerts`, `escalations` and `switches`; writes nothing.
//!
//! A collection account is a customer without a `group_leader`; the customers
//! grouped under it join it (docs/reference/planning.md): their items are the account's, and
//! the contacts and colleagues are the leader's.
//!
//! # Layout
//! - [`source`]: where rows come from (a transaction, or [`FileReader`] on
//!   the SQLite file) and how `IN ({})` lists are written per backend.
//! - [`queries`]: one function per table read.
//! - [`decode`]: decoding item rows and text columns (dates, types, custom).
//! - [`assemble`]: the accounts put together from the rows.

mod assemble;
mod decode;
mod queries;
mod source;

use sqlx::AssertSqlSafe;

use super::{Backend, Params, StoreError, Tx, on_tx};
use source::Source;

pub use relance_planner::facts::{
    AccountFacts, ColleagueFacts, ContactFacts, CustomerFacts, Item, ItemColumns, ItemType,
    custom_fields,
};
pub use source::{FileReader, read_only};

/// Whose rows a query reads.
#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    /// These codes.
    Codes(&'a [&'a str]),
    /// Codes from the first to the last, inclusive (SQLite only: its text
    /// order is Rust's byte order).
    Range(&'a str, &'a str),
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

/// Reads the accounts of `scope` from `src`: one statement per table (two
/// for items and their steps when a range's leaders have members outside
/// it), then the assembly.
async fn read(
    src: &mut Source<'_>,
    scope: Scope<'_>,
    columns: ItemColumns,
) -> Result<Vec<AccountFacts>, StoreError> {
    // Leaders and members.
    let customers = queries::customers(src, scope).await?;
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let all_codes: Vec<&str> = customers.iter().map(|c| c.code.as_str()).collect();

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
    let mut items = queries::items(src, &item_scopes, columns).await?;
    let steps = queries::item_steps(src, &item_scopes).await?;
    assemble::attach_steps(&mut items, &steps);

    // The leaders' contacts and colleagues, then what earlier runs left.
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
    let contacts = queries::contacts(src, leader_scope).await?;
    let colleagues = queries::colleagues(src, leader_scope).await?;
    let actions = queries::last_actions(src, leader_scope).await?;
    let alerts = queries::open_alerts(src, leader_scope).await?;
    let escalations = queries::escalations(src, leader_scope).await?;
    let switches = queries::switches(src, leader_scope).await?;

    // Assemble, leaders in code order.
    assemble::accounts(assemble::Rows {
        customers,
        items,
        contacts,
        colleagues,
        actions,
        alerts,
        escalations,
        switches,
    })
}
