//! The `items` table beyond the rows imports write (through
//! [`super::table`]): clearing the items an import did not see (`--full`),
//! and the status of one item.

use sqlx::{AssertSqlSafe, Row as _};

use super::{StoreError, Tx, on_tx, statement};

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
