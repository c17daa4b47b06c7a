//! Aggregates behind reports, summaries and metrics, read-only over
//! `actions`, `alerts`, `api_runs` and `items`.

use sqlx::{AssertSqlSafe, Row as _};

use super::{Store, StoreError, Tx, on_tx, statement};

/// `(key, count)` rows of a `SELECT key, COUNT(*) ... GROUP BY key`.
async fn grouped(
    tx: &mut Tx,
    template: &str,
    bind: Option<&str>,
    what: &'static str,
) -> Result<Vec<(String, i64)>, StoreError> {
    let sql = statement(tx, template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        if let Some(b) = bind {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query(what))
}

/// Actions recorded with this origin, counted by state.
pub async fn action_states_of(tx: &mut Tx, origin: &str) -> Result<Vec<(String, i64)>, StoreError> {
    grouped(
        tx,
        "SELECT state, COUNT(*) FROM actions WHERE origin = ? GROUP BY state",
        Some(origin),
        "counting a run's actions",
    )
    .await
}

/// Every action, counted by state.
pub async fn action_states(tx: &mut Tx) -> Result<Vec<(String, i64)>, StoreError> {
    grouped(
        tx,
        "SELECT state, COUNT(*) FROM actions GROUP BY state",
        None,
        "counting actions",
    )
    .await
}

/// API runs, counted by state.
pub async fn run_states(tx: &mut Tx) -> Result<Vec<(String, i64)>, StoreError> {
    grouped(
        tx,
        "SELECT state, COUNT(*) FROM api_runs GROUP BY state",
        None,
        "counting runs",
    )
    .await
}

/// Open alerts, counted by level.
pub async fn open_alert_levels(tx: &mut Tx) -> Result<Vec<(String, i64)>, StoreError> {
    grouped(
        tx,
        "SELECT level, COUNT(*) FROM alerts WHERE resolved_on IS NULL GROUP BY level",
        None,
        "counting alerts",
    )
    .await
}

/// Counts for summaries: actions by `(step, state)` and open alerts by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// `(scenario, step, state, count)`, ordered.
    pub actions: Vec<(String, String, String, i64)>,
    /// `(alert, count)` of open alerts, ordered.
    pub alerts: Vec<(String, i64)>,
}

/// Actions by step and state, and open alerts by name.
pub async fn counts(store: &Store) -> Result<Counts, StoreError> {
    let mut tx = store.begin().await?;
    let actions: Vec<(String, String, String, i64)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT scenario, step, state, COUNT(*) FROM actions GROUP BY scenario, step, state \
         ORDER BY scenario, step, state")
        .fetch_all(&mut **c)
        .await)
    .map_err(StoreError::query("counting actions"))?;
    let alerts: Vec<(String, i64)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT alert, COUNT(*) FROM alerts WHERE resolved_on IS NULL GROUP BY alert ORDER BY alert")
        .fetch_all(&mut **c)
        .await)
    .map_err(StoreError::query("counting alerts"))?;
    tx.rollback().await?;
    Ok(Counts { actions, alerts })
}

/// A cleared item (remaining 0) as reports read it, with the account it is
/// collected in (its group leader, else itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearedItem {
    /// The customer.
    pub customer: String,
    /// Its account: the group leader's code, else the customer's.
    pub account: String,
    /// The reference.
    pub reference: String,
    /// `invoice`, `debit_note`, `credit_note`, `payment`.
    pub kind: String,
    /// ISO dates.
    pub issue_date: Option<String>,
    /// ISO date.
    pub due_date: String,
    /// Minor units.
    pub amount: i64,
    /// The currency.
    pub currency: String,
    /// ISO date, when known.
    pub cleared_on: Option<String>,
}

/// Items with nothing remaining, issued or cleared on or after `since` (an
/// ISO date), by customer and reference.
pub async fn cleared_items(tx: &mut Tx, since: &str) -> Result<Vec<ClearedItem>, StoreError> {
    let sql = statement(
        tx,
        "SELECT i.customer, COALESCE(c.group_leader, i.customer), i.reference, i.type, \
         i.issue_date, i.due_date, i.amount, i.currency, i.cleared_on \
         FROM items i LEFT JOIN customers c ON c.code = i.customer \
         WHERE i.remaining = 0 AND (i.issue_date >= ? OR i.cleared_on >= ?) \
         ORDER BY i.customer, i.reference",
    );
    on_tx!(tx, c => async {
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(since)
            .bind(since)
            .fetch_all(&mut **c)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ClearedItem {
                    customer: r.try_get(0)?,
                    account: r.try_get(1)?,
                    reference: r.try_get(2)?,
                    kind: r.try_get(3)?,
                    issue_date: r.try_get(4)?,
                    due_date: r.try_get(5)?,
                    amount: r.try_get(6)?,
                    currency: r.try_get(7)?,
                    cleared_on: r.try_get(8)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("reading cleared items"))
}

/// `(customer, colleague)` of every collector assignment, by customer and
/// colleague.
pub async fn collectors(tx: &mut Tx) -> Result<Vec<(String, String)>, StoreError> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT customer, colleague FROM assignments WHERE role = 'collector' \
         ORDER BY customer, colleague")
        .fetch_all(&mut **c)
        .await)
    .map_err(StoreError::query("reading collectors"))
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

/// Every status change of items, oldest first.
pub async fn status_lines(tx: &mut Tx) -> Result<Vec<StatusLine>, StoreError> {
    let rows: Vec<(String, String, String, String, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT at, kind, customer, reference, data FROM history \
         WHERE kind IN ('status_set', 'status_cleared', 'status_changed') \
         AND customer IS NOT NULL AND reference IS NOT NULL ORDER BY at, id")
        .fetch_all(&mut **c)
        .await)
    .map_err(StoreError::query("reading status changes"))?;
    Ok(rows
        .into_iter()
        .map(|(at, kind, customer, reference, data)| StatusLine {
            at,
            kind,
            customer,
            reference,
            data,
        })
        .collect())
}
