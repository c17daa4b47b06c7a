//! The job queue's tables (apalis keeps them), only to vacuum them.

use super::{Store, StoreError, Tx};

/// Deletes the job queue's finished jobs (done, killed, or failed for good)
/// that ended before `before` (Unix seconds). apalis-sqlite's own vacuum
/// rewrites the whole database file, which the store cannot afford.
pub async fn vacuum_jobs(store: &Store, before: i64) -> Result<u64, StoreError> {
    let mut tx = store.begin_write().await?;
    let done = match &mut tx {
        Tx::Postgres(c) => sqlx::query(
            "DELETE FROM apalis.jobs WHERE (status IN ('Done', 'Killed') \
             OR (status = 'Failed' AND max_attempts <= attempts)) AND done_at < to_timestamp($1)",
        )
        .bind(before as f64)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()),
        Tx::Sqlite(c) => sqlx::query(
            "DELETE FROM Jobs WHERE (status IN ('Done', 'Killed') \
             OR (status = 'Failed' AND max_attempts <= attempts)) AND done_at < ?",
        )
        .bind(before)
        .execute(&mut **c)
        .await
        .map(|r| r.rows_affected()),
    }
    .map_err(StoreError::query("vacuuming finished jobs"))?;
    tx.commit().await?;
    Ok(done)
}
