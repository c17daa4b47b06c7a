//! The `api_runs` table: the runs the admin API starts, from `queued` to
//! `done` or `failed`.

use sqlx::{AssertSqlSafe, Row as _};

use super::{StoreError, Tx, on_tx, statement};

/// A run started through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// Its id; its actions' origin is `run:<id>`.
    pub id: i64,
    /// When it was asked for (RFC 3339).
    pub requested_at: String,
    /// Who asked (`api:<token name>`).
    pub requested_by: String,
    /// The request, a JSON object.
    pub request: String,
    /// `queued`, `running`, `done`, `failed`.
    pub state: String,
    /// When it started.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// Reads a [`RunRow`] from a row of `SELECT RUN_COLUMNS` (a macro: the
/// row types of the two backends share no trait worth naming here).
macro_rules! run_row {
    ($r:expr) => {
        Ok(RunRow {
            id: $r.try_get(0)?,
            requested_at: $r.try_get(1)?,
            requested_by: $r.try_get(2)?,
            request: $r.try_get(3)?,
            state: $r.try_get(4)?,
            started_at: $r.try_get(5)?,
            finished_at: $r.try_get(6)?,
            error: $r.try_get(7)?,
        })
    };
}

/// The columns [`run_row!`] reads.
const RUN_COLUMNS: &str =
    "id, requested_at, requested_by, request, state, started_at, finished_at, error";

/// Records a run request in state `queued`; returns its id.
pub async fn insert_run(
    tx: &mut Tx,
    requested_at: &str,
    requested_by: &str,
    request: &str,
) -> Result<i64, StoreError> {
    let sql = statement(
        tx,
        "INSERT INTO api_runs (requested_at, requested_by, request, state) \
         VALUES (?, ?, ?, 'queued') RETURNING id",
    );
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(requested_at)
        .bind(requested_by)
        .bind(request)
        .fetch_one(&mut **c)
        .await)
    .map_err(StoreError::query("recording a run"))
}

/// Moves a run to `state`: `running` sets `started_at`, `done` and `failed`
/// set `finished_at` (and `error`).
pub async fn set_run_state(
    tx: &mut Tx,
    id: i64,
    state: &str,
    at: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let column = if state == "running" {
        "started_at"
    } else {
        "finished_at"
    };
    let sql = statement(
        tx,
        &format!("UPDATE api_runs SET state = ?, {column} = ?, error = ? WHERE id = ?"),
    );
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql))
        .bind(state)
        .bind(at)
        .bind(error)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))
    .map_err(StoreError::query("updating a run"))
}

/// The API's runs still `queued` or `running` become `failed` with
/// `reason` (a restarted server has lost them); returns how many. The
/// workers' daily runs (`daily_key`) are theirs: any worker finishes them.
pub async fn fail_unfinished(tx: &mut Tx, at: &str, reason: &str) -> Result<u64, StoreError> {
    let sql = statement(
        tx,
        "UPDATE api_runs SET state = 'failed', finished_at = ?, error = ? \
         WHERE state IN ('queued', 'running') AND daily_key IS NULL",
    );
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql)).bind(at).bind(reason).execute(&mut **c).await
        .map(|done| done.rows_affected()))
    .map_err(StoreError::query("updating runs"))
}

/// One run, `None` when there is no such id.
pub async fn run(tx: &mut Tx, id: i64) -> Result<Option<RunRow>, StoreError> {
    let sql = statement(
        tx,
        &format!("SELECT {RUN_COLUMNS} FROM api_runs WHERE id = ?"),
    );
    on_tx!(tx, c => async {
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **c).await?;
        row.map(|r| {
            run_row!(r)
        })
        .transpose()
    }
    .await)
    .map_err(StoreError::query("reading a run"))
}

/// The latest runs, newest first (API runs and daily runs).
pub async fn recent(tx: &mut Tx, limit: i64) -> Result<Vec<RunRow>, StoreError> {
    let sql = statement(
        tx,
        &format!("SELECT {RUN_COLUMNS} FROM api_runs ORDER BY id DESC LIMIT ?"),
    );
    on_tx!(tx, c => async {
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(limit).fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| {
                run_row!(r)
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("reading runs"))
}
