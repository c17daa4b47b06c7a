//! The `imports` table: the bookkeeping of each import (when, by whom,
//! its counts).

use sqlx::AssertSqlSafe;

use super::{Store, StoreError, Tx, on_tx, statement};

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

/// When the last import with an items file happened (RFC 3339), if any.
pub async fn last_items_import(store: &Store) -> Result<Option<String>, StoreError> {
    let mut tx = store.begin().await?;
    let sql = "SELECT MAX(at) FROM imports WHERE counts LIKE '%\"kind\":\"items\"%'";
    let at: Option<String> =
        on_tx!(&mut tx, c => sqlx::query_scalar(sql).fetch_one(&mut **c).await)
            .map_err(StoreError::query("reading the last import"))?;
    tx.rollback().await?;
    Ok(at)
}

/// Tables whose planner statistics an import refreshes when it changed
/// much of them.
const IMPORTED_TABLES: [&str; 5] = [
    "colleagues",
    "customers",
    "contacts",
    "assignments",
    "items",
];

/// On PostgreSQL, analyzes each imported table whose `changed` rows (by table) are
/// more than autovacuum's own threshold (50 rows and a tenth of the
/// table), inside the import's transaction: the statistics commit with the
/// rows. Autovacuum would do it up to a minute later, and the day's run
/// that follows an import would be planned meanwhile on the statistics of
/// an empty or much smaller table (a first `plan` over a fresh import took
/// twice as long). SQLite keeps no statistics unless asked; nothing to do.
pub async fn refresh_statistics(tx: &mut Tx, changed: &[(&str, u64)]) -> Result<(), StoreError> {
    let Tx::Postgres(c) = tx else {
        return Ok(());
    };
    for table in IMPORTED_TABLES {
        // Files of the same kind add up.
        let rows: u64 = changed
            .iter()
            .filter(|(t, _)| *t == table)
            .map(|(_, n)| n)
            .sum();
        if rows == 0 {
            continue;
        }
        // -1 when the table was never analyzed.
        let known: f32 =
            sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE oid = $1::regclass")
                .bind(table)
                .fetch_one(&mut **c)
                .await
                .map_err(StoreError::query("reading the table's statistics"))?;
        if (rows as f64) > 50.0 + 0.1 * f64::from(known.max(0.0)) {
            sqlx::query(AssertSqlSafe(format!("ANALYZE {table}")))
                .execute(&mut **c)
                .await
                .map_err(StoreError::query("analyzing the imported table"))?;
        }
    }
    Ok(())
}
