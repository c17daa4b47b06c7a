//! Everything else the import and the status commands read and write: the
//! customer and colleague indexes, import bookkeeping, clearing, history, and
//! the status of one item.

use sqlx::{AssertSqlSafe, Row as _};

use super::{Params, StoreError, Tx, on_tx};

/// One line of history (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEvent {
    /// When, RFC 3339 UTC.
    pub at: String,
    /// `status_set`, `status_cleared`, `status_changed`, `import`, ...
    pub kind: String,
    /// The customer concerned, if any.
    pub customer: Option<String>,
    /// The item concerned, if any.
    pub reference: Option<String>,
    /// Who or what did it: `cli`, `import:items.csv`, `api:ci`, `run:12`.
    pub origin: String,
    /// Details, a JSON object.
    pub data: String,
}

/// Appends history lines, many per statement.
pub async fn append_history(tx: &mut Tx, events: &[HistoryEvent]) -> Result<(), StoreError> {
    for batch in events.chunks(4000) {
        let mut sql = String::from(
            "INSERT INTO history (at, kind, customer, reference, origin, data) VALUES ",
        );
        let mut params = Params::new(tx);
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            params.list(&mut sql, 6);
            sql.push(')');
        }
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for e in batch {
                q = q
                    .bind(e.at.clone())
                    .bind(e.kind.clone())
                    .bind(e.customer.clone())
                    .bind(e.reference.clone())
                    .bind(e.origin.clone())
                    .bind(e.data.clone());
            }
            q.execute(&mut **c).await.map(|_| ())
        })
        .map_err(StoreError::query("appending history"))?;
    }
    Ok(())
}

/// History lines of a customer (its items included), oldest first.
pub async fn history_of(tx: &mut Tx, customer: &str) -> Result<Vec<HistoryEvent>, StoreError> {
    let sql = statement(
        tx,
        "SELECT at, kind, customer, reference, origin, data FROM history WHERE customer = ? ORDER BY id",
    );
    on_tx!(tx, c => async {
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(customer).fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| {
                Ok(HistoryEvent {
                    at: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    customer: r.try_get(2)?,
                    reference: r.try_get(3)?,
                    origin: r.try_get(4)?,
                    data: r.try_get(5)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }.await)
    .map_err(StoreError::query("reading history"))
}

/// A stored customer as the import needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerEntry {
    /// Its code.
    pub code: String,
    /// Its currency, if set.
    pub currency: Option<String>,
    /// Its group leader, if grouped.
    pub group_leader: Option<String>,
}

/// Every stored customer (code, currency, leader).
pub async fn customer_index(tx: &mut Tx) -> Result<Vec<CustomerEntry>, StoreError> {
    on_tx!(tx, c => async {
        let rows = sqlx::query("SELECT code, currency, group_leader FROM customers")
            .fetch_all(&mut **c)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CustomerEntry {
                    code: r.try_get(0)?,
                    currency: r.try_get(1)?,
                    group_leader: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }.await)
    .map_err(StoreError::query("reading customers"))
}

/// Every stored colleague (email, role).
pub async fn colleague_index(tx: &mut Tx) -> Result<Vec<(String, String)>, StoreError> {
    on_tx!(tx, c => async {
        let rows = sqlx::query("SELECT email, role FROM colleagues").fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }.await)
    .map_err(StoreError::query("reading colleagues"))
}

/// A statement with its parameters written for the transaction's backend:
/// each `?` of `template` becomes `?` (SQLite) or `$N` (PostgreSQL).
pub(crate) fn statement(tx: &Tx, template: &str) -> String {
    let mut params = Params::new(tx);
    let mut sql = String::with_capacity(template.len() + 8);
    for (i, part) in template.split('?').enumerate() {
        if i > 0 {
            params.push(&mut sql);
        }
        sql.push_str(part);
    }
    sql
}

/// Records the start of an import and returns its id.
pub async fn start_import(tx: &mut Tx, at: &str, origin: &str) -> Result<i64, StoreError> {
    let sql = statement(
        tx,
        "INSERT INTO imports (at, origin, counts) VALUES (?, ?, '{}') RETURNING id",
    );
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql)).bind(at).bind(origin).fetch_one(&mut **c).await)
        .map_err(StoreError::query("recording the import"))
}

/// Records an import's counts (a JSON object).
pub async fn finish_import(tx: &mut Tx, id: i64, counts: &str) -> Result<(), StoreError> {
    let sql = statement(tx, "UPDATE imports SET counts = ? WHERE id = ?");
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql)).bind(counts).bind(id).execute(&mut **c).await.map(|_| ()))
        .map_err(StoreError::query("recording the import"))
}

/// `--full`: open items of these customers (all customers when `None`) that
/// the import `import_id` did not see become cleared on `today`. Returns how
/// many were cleared.
pub async fn clear_unseen(
    tx: &mut Tx,
    import_id: i64,
    today: &str,
    customers: Option<&[String]>,
) -> Result<u64, StoreError> {
    const BASE: &str = "UPDATE items SET remaining = 0, cleared_on = ? \
                        WHERE remaining > 0 AND (seen_import IS NULL OR seen_import <> ?)";
    let batches: Vec<&[String]> = match customers {
        None => vec![&[]],
        Some(list) => list.chunks(10_000).collect(),
    };
    let mut cleared = 0;
    for batch in batches {
        let mut template = BASE.to_string();
        if customers.is_some() {
            template.push_str(" AND customer IN (");
            template.push_str(&vec!["?"; batch.len()].join(", "));
            template.push(')');
        }
        let sql = statement(tx, &template);
        cleared += on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(today).bind(import_id);
            for customer in batch {
                q = q.bind(customer.as_str());
            }
            q.execute(&mut **c).await.map(|done| done.rows_affected())
        })
        .map_err(StoreError::query("clearing items"))?;
    }
    Ok(cleared)
}

/// The qualification of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemStatus {
    /// The status name, if any.
    pub status: Option<String>,
    /// Since when (ISO date).
    pub status_since: Option<String>,
    /// The promised payment date (ISO date).
    pub promise_date: Option<String>,
    /// Free text.
    pub comment: Option<String>,
}

/// The status of an item, `None` when the item does not exist.
pub async fn item_status(
    tx: &mut Tx,
    customer: &str,
    reference: &str,
) -> Result<Option<ItemStatus>, StoreError> {
    let sql = statement(
        tx,
        "SELECT status, status_since, promise_date, comment FROM items WHERE customer = ? AND reference = ?",
    );
    on_tx!(tx, c => async {
        let row = sqlx::query(AssertSqlSafe(sql)).bind(customer).bind(reference).fetch_optional(&mut **c).await?;
        row.map(|r| {
            Ok(ItemStatus {
                status: r.try_get(0)?,
                status_since: r.try_get(1)?,
                promise_date: r.try_get(2)?,
                comment: r.try_get(3)?,
            })
        })
        .transpose()
    }.await)
    .map_err(StoreError::query("reading an item"))
}

/// Sets (or, with an empty status, clears) the status of an item.
pub async fn set_item_status(
    tx: &mut Tx,
    customer: &str,
    reference: &str,
    status: &ItemStatus,
) -> Result<(), StoreError> {
    let sql = statement(
        tx,
        "UPDATE items SET status = ?, status_since = ?, promise_date = ?, comment = ? \
         WHERE customer = ? AND reference = ?",
    );
    on_tx!(tx, c => {
        sqlx::query(AssertSqlSafe(sql))
            .bind(status.status.clone())
            .bind(status.status_since.clone())
            .bind(status.promise_date.clone())
            .bind(status.comment.clone())
            .bind(customer)
            .bind(reference)
            .execute(&mut **c)
            .await
            .map(|_| ())
    })
    .map_err(StoreError::query("updating an item"))
}
