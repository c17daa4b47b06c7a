//! The `items` table beyond the rows imports write (through
//! [`super::table`]): clearing the items an import did not see (`--full`,
//! with their payments), and the status of one item.

use sqlx::{AssertSqlSafe, Row as _};

use super::{StoreError, Tx, on_tx, payments, statement};

/// `--full`: open items of these customers (all customers when `None`) that
/// the import `import_id` did not see become cleared on `today`. Each
/// records its whole remaining as a payment (`source` `cleared`, dated
/// `today`, recorded at `recorded_at`) first. Returns how many were cleared.
pub async fn clear_unseen(
    tx: &mut Tx,
    import_id: i64,
    today: &str,
    recorded_at: &str,
    customers: Option<&[String]>,
) -> Result<u64, StoreError> {
    const UNSEEN: &str = "remaining > 0 AND (seen_import IS NULL OR seen_import <> ?)";
    let batches: Vec<&[String]> = match customers {
        None => vec![&[]],
        Some(list) => list.chunks(10_000).collect(),
    };
    let mut cleared = 0;
    for batch in batches {
        let mut condition = UNSEEN.to_string();
        if customers.is_some() {
            condition.push_str(" AND customer IN (");
            condition.push_str(&vec!["?"; batch.len()].join(", "));
            condition.push(')');
        }
        // Before the update: the remaining it sets to 0 is the payment.
        let payments = statement(
            tx,
            &format!(
                "INSERT INTO payments \
                 (customer, reference, paid_on, amount, currency, source, import_id, recorded_at) \
                 SELECT customer, reference, ?, remaining, currency, '{}', ?, ? \
                 FROM items WHERE {condition}",
                payments::SOURCE_CLEARED
            ),
        );
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(payments))
                .bind(today)
                .bind(import_id)
                .bind(recorded_at)
                .bind(import_id);
            for customer in batch {
                q = q.bind(customer.as_str());
            }
            q.execute(&mut **c).await.map(|_| ())
        })
        .map_err(StoreError::query("recording the payments of cleared items"))?;
        let sql = statement(
            tx,
            &format!("UPDATE items SET remaining = 0, cleared_on = ? WHERE {condition}"),
        );
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
