//! The `history` table: append-only lines of what happened to customers
//! and items (imports, status changes, runs, deliveries), and reading them.

use sqlx::{AssertSqlSafe, Row as _};

use super::{Params, StoreError, Tx, on_tx, statement};

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

/// The latest `limit` history lines of these customers (their items
/// included), newest first.
pub async fn latest_history(
    tx: &mut Tx,
    customers: &[String],
    limit: u32,
) -> Result<Vec<HistoryEvent>, StoreError> {
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let template = format!(
        "SELECT at, kind, customer, reference, origin, data FROM history \
         WHERE customer IN ({}) ORDER BY id DESC LIMIT {limit}",
        vec!["?"; customers.len()].join(", ")
    );
    let sql = statement(tx, &template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for code in customers {
            q = q.bind(code.clone());
        }
        let rows = q.fetch_all(&mut **c).await?;
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
    }
    .await)
    .map_err(StoreError::query("reading history"))
}
