//! The `payments` table: the payment history imports record (when an
//! item's remaining went down, by how much), append-only, and reading it
//! for reports. docs/reference/data.md#payment-history.

use sqlx::{AssertSqlSafe, Row as _};

use super::{Params, StoreError, Tx, on_tx, statement};

/// Rows per INSERT: 8 parameters each, under SQLite's 32766.
const PER_STATEMENT: usize = 3000;

/// `source` of a payment an import recorded because a row lowered the
/// item's remaining.
pub const SOURCE_IMPORT: &str = "import";

/// `source` of a payment recorded because a `--full` import cleared an
/// item it no longer lists.
pub const SOURCE_CLEARED: &str = "cleared";

/// One payment: an item's remaining went down by `amount` on `paid_on`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    /// The item's customer.
    pub customer: String,
    /// The item's reference.
    pub reference: String,
    /// When it was paid, `YYYY-MM-DD`: the row's `paid_on`, else the
    /// import date.
    pub paid_on: String,
    /// How much, in minor units of `currency`; always above zero.
    pub amount: i64,
    /// The item's currency.
    pub currency: String,
    /// Why it was recorded: [`SOURCE_IMPORT`] or [`SOURCE_CLEARED`].
    pub source: String,
}

/// Records payments found by the import `import_id` at `recorded_at`
/// (RFC 3339), many per statement.
pub async fn record(
    tx: &mut Tx,
    import_id: i64,
    recorded_at: &str,
    payments: &[PaymentRow],
) -> Result<(), StoreError> {
    for batch in payments.chunks(PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO payments \
             (customer, reference, paid_on, amount, currency, source, import_id, recorded_at) \
             VALUES ",
        );
        let mut params = Params::new(tx);
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            params.list(&mut sql, 8);
            sql.push(')');
        }
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for p in batch {
                q = q
                    .bind(p.customer.as_str())
                    .bind(p.reference.as_str())
                    .bind(p.paid_on.as_str())
                    .bind(p.amount)
                    .bind(p.currency.as_str())
                    .bind(p.source.as_str())
                    .bind(import_id)
                    .bind(recorded_at);
            }
            q.execute(&mut **c).await.map(|_| ())
        })
        .map_err(StoreError::query("recording payments"))?;
    }
    Ok(())
}

/// The payments dated from `from` to `to` (`YYYY-MM-DD`, both included),
/// ordered by date, customer and reference (then as recorded).
pub async fn payments_between(
    tx: &mut Tx,
    from: &str,
    to: &str,
) -> Result<Vec<PaymentRow>, StoreError> {
    let sql = statement(
        tx,
        "SELECT customer, reference, paid_on, amount, currency, source FROM payments \
         WHERE paid_on >= ? AND paid_on <= ? ORDER BY paid_on, customer, reference, id",
    );
    on_tx!(tx, c => async {
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(from).bind(to).fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| {
                Ok(PaymentRow {
                    customer: r.try_get(0)?,
                    reference: r.try_get(1)?,
                    paid_on: r.try_get(2)?,
                    amount: r.try_get(3)?,
                    currency: r.try_get(4)?,
                    source: r.try_get(5)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("reading payments"))
}
