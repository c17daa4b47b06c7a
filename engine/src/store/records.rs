//! Everything else the import and the status commands read and write: the
//! customer and colleague indexes, import bookkeeping, clearing, history, and
//! the status of one item.

use sqlx::{Any, AssertSqlSafe, Row as _, Transaction};

use super::{Params, StoreError};

type Tx = Transaction<'static, Any>;

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
        q.execute(&mut **tx)
            .await
            .map_err(StoreError::query("appending history"))?;
    }
    Ok(())
}

/// History lines of a customer (its items included), oldest first.
pub async fn history_of(tx: &mut Tx, customer: &str) -> Result<Vec<HistoryEvent>, StoreError> {
    let rows = sqlx::query("SELECT at, kind, customer, reference, origin, data FROM history WHERE customer = $1 ORDER BY id")
        .bind(customer)
        .fetch_all(&mut **tx)
        .await
        .map_err(StoreError::query("reading history"))?;
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
        .collect::<Result<_, sqlx::Error>>()
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
    let rows = sqlx::query("SELECT code, currency, group_leader FROM customers")
        .fetch_all(&mut **tx)
        .await
        .map_err(StoreError::query("reading customers"))?;
    rows.iter()
        .map(|r| {
            Ok(CustomerEntry {
                code: r.try_get(0)?,
                currency: r.try_get(1)?,
                group_leader: r.try_get(2)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("reading customers"))
}

/// Every stored colleague (email, role).
pub async fn colleague_index(tx: &mut Tx) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query("SELECT email, role FROM colleagues")
        .fetch_all(&mut **tx)
        .await
        .map_err(StoreError::query("reading colleagues"))?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("reading colleagues"))
}

/// Records the start of an import and returns its id.
pub async fn start_import(tx: &mut Tx, at: &str, origin: &str) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO imports (at, origin, counts) VALUES ($1, $2, '{}') RETURNING id",
    )
    .bind(at)
    .bind(origin)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::query("recording the import"))
}

/// Records an import's counts (a JSON object).
pub async fn finish_import(tx: &mut Tx, id: i64, counts: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE imports SET counts = $1 WHERE id = $2")
        .bind(counts)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(StoreError::query("recording the import"))?;
    Ok(())
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
    let base = |params: &mut Params| {
        let mut sql = String::from("UPDATE items SET remaining = 0, cleared_on = ");
        params.push(&mut sql);
        sql.push_str(" WHERE remaining > 0 AND (seen_import IS NULL OR seen_import <> ");
        params.push(&mut sql);
        sql.push(')');
        sql
    };
    let Some(customers) = customers else {
        let sql = base(&mut Params::new(tx));
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(today)
            .bind(import_id)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::query("clearing items"))?;
        return Ok(done.rows_affected());
    };
    let mut cleared = 0;
    for batch in customers.chunks(10_000) {
        let mut params = Params::new(tx);
        let mut sql = base(&mut params);
        sql.push_str(" AND customer IN (");
        params.list(&mut sql, batch.len());
        sql.push(')');
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(today).bind(import_id);
        for c in batch {
            q = q.bind(c.as_str());
        }
        cleared += q
            .execute(&mut **tx)
            .await
            .map_err(StoreError::query("clearing items"))?
            .rows_affected();
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
    let row = sqlx::query(
        "SELECT status, status_since, promise_date, comment FROM items WHERE customer = $1 AND reference = $2",
    )
    .bind(customer)
    .bind(reference)
    .fetch_optional(&mut **tx)
    .await
    .map_err(StoreError::query("reading an item"))?;
    row.map(|r| {
        Ok(ItemStatus {
            status: r.try_get(0)?,
            status_since: r.try_get(1)?,
            promise_date: r.try_get(2)?,
            comment: r.try_get(3)?,
        })
    })
    .transpose()
    .map_err(StoreError::query("reading an item"))
}

/// Sets (or, with an empty status, clears) the status of an item.
pub async fn set_item_status(
    tx: &mut Tx,
    customer: &str,
    reference: &str,
    status: &ItemStatus,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE items SET status = $1, status_since = $2, promise_date = $3, comment = $4 \
         WHERE customer = $5 AND reference = $6",
    )
    .bind(status.status.clone())
    .bind(status.status_since.clone())
    .bind(status.promise_date.clone())
    .bind(status.comment.clone())
    .bind(customer)
    .bind(reference)
    .execute(&mut **tx)
    .await
    .map_err(StoreError::query("updating an item"))?;
    Ok(())
}
