//! Aggregates behind run summaries and metrics, read-only over `actions`,
//! `alerts` and `api_runs` (what finance reports read is
//! [`super::report_rows`]).

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
