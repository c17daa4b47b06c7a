//! Owns the `run_shards` table and the daily runs of `api_runs` (those with
//! a `daily_key`): a worker's daily run of a timezone, split into shards,
//! ranges of account codes any worker runs (docs/operations.md).

use sqlx::{AssertSqlSafe, Row as _};

use super::{Params, StoreError, Tx, on_tx, statement};

/// A collection account and what it weighs in a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSize {
    /// Its code.
    pub code: String,
    /// Its timezone as stored (`None`: the settings').
    pub timezone: Option<String>,
    /// Its open items, its members' included.
    pub items: i64,
}

/// Every collection account with its open items, in code byte order.
pub async fn account_sizes(tx: &mut Tx) -> Result<Vec<AccountSize>, StoreError> {
    let leaders = super::customers::account_timezones_by_code(tx).await?;
    let counts: Vec<(String, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT COALESCE(m.group_leader, m.code), COUNT(*) FROM items i \
         JOIN customers m ON m.code = i.customer WHERE i.remaining > 0 \
         GROUP BY COALESCE(m.group_leader, m.code)")
        .fetch_all(&mut **c)
        .await)
    .map_err(StoreError::query("counting open items"))?;
    let counts: std::collections::HashMap<String, i64> = counts.into_iter().collect();
    let mut sizes: Vec<AccountSize> = leaders
        .into_iter()
        .map(|(code, timezone)| AccountSize {
            items: counts.get(&code).copied().unwrap_or(0),
            code,
            timezone,
        })
        .collect();
    sizes.sort_unstable_by(|a, b| a.code.cmp(&b.code));
    Ok(sizes)
}

/// A shard to record: the accounts whose codes are after `after` (none:
/// from the first) up to `upto` included (none: to the last), in byte order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShard {
    /// The last code of the shard before (exclusive bound).
    pub after: Option<String>,
    /// Its own last code (inclusive bound).
    pub upto: Option<String>,
    /// Accounts in it when it was cut.
    pub accounts: i64,
    /// Their open items when it was cut.
    pub items: i64,
}

/// A shard as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardRow {
    /// Its run (`api_runs.id`).
    pub run: i64,
    /// Its number in the run, from 1.
    pub shard: i64,
    /// Exclusive lower bound of its codes.
    pub after: Option<String>,
    /// Inclusive upper bound of its codes.
    pub upto: Option<String>,
    /// Accounts when cut.
    pub accounts: i64,
    /// Open items when cut.
    pub items: i64,
    /// `queued`, `running` or `done`.
    pub state: String,
    /// How many times a worker started it.
    pub attempts: i64,
    /// The worker that started it last.
    pub worker: Option<String>,
    /// When it was last started.
    pub started_at: Option<String>,
    /// When it was done.
    pub finished_at: Option<String>,
    /// Actions its finishing attempt recorded (an earlier, interrupted
    /// attempt's are not counted again).
    pub recorded: i64,
}

/// The daily run `key` (`<timezone>/<day>`): created `running` with its
/// request, or found. Returns its id and whether it was created now.
pub async fn daily_run(
    tx: &mut Tx,
    key: &str,
    requested_at: &str,
    requested_by: &str,
    request: &str,
) -> Result<(i64, bool), StoreError> {
    let sql = statement(
        tx,
        "INSERT INTO api_runs (requested_at, requested_by, request, state, started_at, daily_key) \
         VALUES (?, ?, ?, 'running', ?, ?) ON CONFLICT (daily_key) DO NOTHING RETURNING id",
    );
    let created: Option<i64> = on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(requested_at)
        .bind(requested_by)
        .bind(request)
        .bind(requested_at)
        .bind(key)
        .fetch_optional(&mut **c)
        .await)
    .map_err(StoreError::query("recording a daily run"))?;
    if let Some(id) = created {
        return Ok((id, true));
    }
    let sql = statement(tx, "SELECT id FROM api_runs WHERE daily_key = ?");
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(key)
        .fetch_one(&mut **c)
        .await)
    .map_err(StoreError::query("reading a daily run"))?;
    Ok((id, false))
}

/// Records the shards of `run`, numbered from 1, `queued`.
pub async fn insert(tx: &mut Tx, run: i64, shards: &[NewShard]) -> Result<(), StoreError> {
    for (chunk_no, batch) in shards.chunks(500).enumerate() {
        let mut params = Params::new(tx);
        let mut sql = String::from(
            "INSERT INTO run_shards (run, shard, after, upto, accounts, items, state) VALUES ",
        );
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            params.list(&mut sql, 6);
            sql.push_str(", 'queued')");
        }
        sql.push_str(" ON CONFLICT (run, shard) DO NOTHING");
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (i, s) in batch.iter().enumerate() {
                let number = i64::try_from(chunk_no * 500 + i + 1).unwrap_or(i64::MAX);
                q = q
                    .bind(run)
                    .bind(number)
                    .bind(s.after.clone())
                    .bind(s.upto.clone())
                    .bind(s.accounts)
                    .bind(s.items);
            }
            q.execute(&mut **c).await.map(|_| ())
        })
        .map_err(StoreError::query("recording shards"))?;
    }
    Ok(())
}

/// The shards of `run`, by number.
pub async fn of_run(tx: &mut Tx, run: i64) -> Result<Vec<ShardRow>, StoreError> {
    let sql = statement(
        tx,
        "SELECT run, shard, after, upto, accounts, items, state, attempts, worker, started_at, \
         finished_at, recorded FROM run_shards WHERE run = ? ORDER BY shard",
    );
    on_tx!(tx, c => async {
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(run).fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| {
                Ok(ShardRow {
                    run: r.try_get(0)?,
                    shard: r.try_get(1)?,
                    after: r.try_get(2)?,
                    upto: r.try_get(3)?,
                    accounts: r.try_get(4)?,
                    items: r.try_get(5)?,
                    state: r.try_get(6)?,
                    attempts: r.try_get(7)?,
                    worker: r.try_get(8)?,
                    started_at: r.try_get(9)?,
                    finished_at: r.try_get(10)?,
                    recorded: r.try_get(11)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("reading shards"))
}

/// Starts a shard for `worker` unless it is done: its bounds, `None` when
/// it is done already. A shard `running` elsewhere is started again (the
/// job queue hands a job out again only when its worker stopped); what both
/// record is recorded once by the actions' unique key.
pub async fn start(
    tx: &mut Tx,
    run: i64,
    shard: i64,
    worker: &str,
    at: &str,
) -> Result<Option<(Option<String>, Option<String>)>, StoreError> {
    let sql = statement(
        tx,
        "UPDATE run_shards SET state = 'running', attempts = attempts + 1, worker = ?, \
         started_at = ? WHERE run = ? AND shard = ? AND state <> 'done' RETURNING after, upto",
    );
    on_tx!(tx, c => sqlx::query_as(AssertSqlSafe(sql))
        .bind(worker)
        .bind(at)
        .bind(run)
        .bind(shard)
        .fetch_optional(&mut **c)
        .await)
    .map_err(StoreError::query("starting a shard"))
}

/// Marks a shard done; when it was the run's last, marks the run done too
/// and returns `true` (for exactly one caller, whatever the concurrency: the
/// run's row is locked first).
pub async fn finish(
    tx: &mut Tx,
    run: i64,
    shard: i64,
    recorded: i64,
    at: &str,
) -> Result<bool, StoreError> {
    let what = "finishing a shard";
    // Locks the run's row (PostgreSQL; SQLite's writes are serial): two
    // last shards finishing together see each other's state.
    let sql = statement(tx, "UPDATE api_runs SET state = state WHERE id = ?");
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql)).bind(run).execute(&mut **c).await.map(|_| ()))
        .map_err(StoreError::query(what))?;
    let sql = statement(
        tx,
        "UPDATE run_shards SET state = 'done', finished_at = ?, recorded = ? \
         WHERE run = ? AND shard = ? AND state <> 'done'",
    );
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql))
        .bind(at).bind(recorded).bind(run).bind(shard)
        .execute(&mut **c).await.map(|_| ()))
    .map_err(StoreError::query(what))?;
    let sql = statement(
        tx,
        "UPDATE api_runs SET state = 'done', finished_at = ? WHERE id = ? AND state <> 'done' \
         AND NOT EXISTS (SELECT 1 FROM run_shards WHERE run = ? AND state <> 'done')",
    );
    let ended = on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql))
        .bind(at).bind(run).bind(run)
        .execute(&mut **c).await.map(|done| done.rows_affected()))
    .map_err(StoreError::query(what))?;
    Ok(ended == 1)
}

/// The shards not done of daily runs started before `before` (RFC 3339),
/// `(run, shard)`: what a worker pushes again in case a job was lost.
pub async fn unfinished(tx: &mut Tx, before: &str) -> Result<Vec<(i64, i64)>, StoreError> {
    let sql = statement(
        tx,
        "SELECT s.run, s.shard FROM run_shards s JOIN api_runs r ON r.id = s.run \
         WHERE s.state <> 'done' AND r.state = 'running' AND r.started_at < ? \
         ORDER BY s.run, s.shard",
    );
    on_tx!(tx, c => sqlx::query_as(AssertSqlSafe(sql)).bind(before).fetch_all(&mut **c).await)
        .map_err(StoreError::query("reading unfinished shards"))
}
