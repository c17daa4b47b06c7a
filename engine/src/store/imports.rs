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
