//! Sharded daily runs (docs/operations.md): a worker's daily run of one
//! timezone is recorded once as a run (`api_runs`, found again by its
//! `daily_key`, so that every worker pushing the same cron tick lands on
//! the same run), its accounts cut into shards, ranges of account codes
//! sized by open items ([`cut`]); any worker runs any shard
//! ([`run_shard`]), each page in its own transaction as `run::run` does,
//! and the worker finishing the last shard opens the day's digests. Every
//! action is recorded once by its unique key, whatever the number of
//! workers, crashes or retries.

use chrono::{DateTime, Utc};

use crate::planner::Planner;
use crate::run::{self, CodeRange, RunError, Selection, When};
use crate::store::shards::{self, NewShard};
use crate::store::{Store, api_runs, notices};

/// Open items per shard unless told otherwise.
pub const ITEMS_PER_SHARD: usize = 100_000;

/// What a daily run is for: its timezone and the instant it plans at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DailyRequest {
    /// The IANA timezone whose accounts run.
    pub timezone: String,
    /// The instant each account's date is taken at (RFC 3339).
    pub at: DateTime<Utc>,
}

/// A daily run as [`fan_out`] left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanOut {
    /// The run's id (`api_runs`; its actions carry `run:<id>`).
    pub run: i64,
    /// Whether this call created it (else another worker did).
    pub created: bool,
    /// Its shards not done yet, by number.
    pub pending: Vec<i64>,
}

/// Cuts accounts (code byte order, open items) into consecutive shards of
/// at least `items_per_shard` open items each (the last may have fewer);
/// the first shard has no lower bound and the last no upper bound, so
/// that every code, even one imported after the cut, is in exactly one.
pub fn cut(accounts: &[(String, i64)], items_per_shard: usize) -> Vec<NewShard> {
    let target = i64::try_from(items_per_shard.max(1)).unwrap_or(i64::MAX);
    let mut shards: Vec<NewShard> = Vec::new();
    let mut current = NewShard {
        after: None,
        upto: None,
        accounts: 0,
        items: 0,
    };
    for (i, (code, items)) in accounts.iter().enumerate() {
        current.accounts += 1;
        current.items += items;
        if current.items >= target && i + 1 < accounts.len() {
            current.upto = Some(code.clone());
            let next = NewShard {
                after: Some(code.clone()),
                upto: None,
                accounts: 0,
                items: 0,
            };
            shards.push(std::mem::replace(&mut current, next));
        }
    }
    shards.push(current);
    shards
}

/// Records the daily run of `timezone` at `at` (its day there), cut into
/// shards of the accounts of that timezone, unless it exists; returns it
/// with its shards still to do.
pub async fn fan_out(
    store: &Store,
    planner: &Planner,
    timezone: chrono_tz::Tz,
    at: DateTime<Utc>,
    items_per_shard: usize,
    requested_by: &str,
) -> Result<FanOut, RunError> {
    let day = at.with_timezone(&timezone).date_naive();
    let key = format!("{}/{day}", timezone.name());
    let request = serde_json::to_string(&DailyRequest {
        timezone: timezone.name().to_string(),
        at,
    })
    .map_err(|e| RunError::Task(e.to_string()))?;
    let now = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut tx = store.begin_write().await?;
    let (run, created) = shards::daily_run(&mut tx, &key, &now, requested_by, &request).await?;
    if created {
        let accounts: Vec<(String, i64)> = shards::account_sizes(&mut tx)
            .await?
            .into_iter()
            .filter(|a| planner.timezone_named(a.timezone.as_deref()) == timezone)
            .map(|a| (a.code, a.items))
            .collect();
        shards::insert(&mut tx, run, &cut(&accounts, items_per_shard)).await?;
    }
    let pending = shards::of_run(&mut tx, run)
        .await?
        .into_iter()
        .filter(|s| s.state != "done")
        .map(|s| s.shard)
        .collect();
    tx.commit().await?;
    Ok(FanOut {
        run,
        created,
        pending,
    })
}

/// What running a shard did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardOutcome {
    /// It was done already: nothing ran.
    AlreadyDone,
    /// It ran and recorded this many actions; `finished_run` when it was
    /// the run's last shard (the day's digests are open then).
    Ran {
        /// Actions recorded by this attempt.
        recorded: usize,
        /// The run is complete.
        finished_run: bool,
    },
}

/// Runs shard `shard` of the daily run `run` as `worker`: plans and
/// records its accounts page by page (origin `run:<id>`), then marks it
/// done; the worker that finishes the run's last shard opens the day's
/// digests.
pub async fn run_shard(
    store: &Store,
    planner: &Planner,
    run: i64,
    shard: i64,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<ShardOutcome, RunError> {
    let now_text = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut tx = store.begin_write().await?;
    let Some(row) = api_runs::run(&mut tx, run).await? else {
        return Err(RunError::Task(format!("no run {run}")));
    };
    let request: DailyRequest = serde_json::from_str(&row.request)
        .map_err(|e| RunError::Task(format!("run {run} is no daily run: {e}")))?;
    let timezone: chrono_tz::Tz = request
        .timezone
        .parse()
        .map_err(|_| RunError::Task(format!("unknown timezone {:?}", request.timezone)))?;
    let Some((after, upto)) = shards::start(&mut tx, run, shard, worker, &now_text).await? else {
        tx.rollback().await?;
        return Ok(ShardOutcome::AlreadyDone);
    };
    tx.commit().await?;

    let selection = Selection {
        timezone: Some(timezone),
        codes: Some(CodeRange { after, upto }),
        ..Selection::all(planner)
    };
    let when = When::At(request.at);
    let origin = run::run_origin(run);
    let outcome = run::run_pages(store, planner, when, &selection, now, &origin).await?;

    let mut tx = store.begin_write().await?;
    let recorded = i64::try_from(outcome.recorded.len()).unwrap_or(i64::MAX);
    let finished_run = shards::finish(&mut tx, run, shard, recorded, &now_text).await?;
    tx.commit().await?;
    if finished_run {
        notices::open_digests(
            store,
            &when.headline(planner).to_string(),
            &now_text,
            &origin,
        )
        .await?;
    }
    Ok(ShardOutcome::Ran {
        recorded: outcome.recorded.len(),
        finished_run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts(items: &[i64]) -> Vec<(String, i64)> {
        items
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("C{i:03}"), *n))
            .collect()
    }

    #[test]
    fn shards_cover_every_code_once_and_are_sized_by_open_items() {
        let shards = cut(&accounts(&[5, 5, 0, 10, 1, 1, 1, 7]), 10);
        let bounds: Vec<(Option<&str>, Option<&str>, i64, i64)> = shards
            .iter()
            .map(|s| (s.after.as_deref(), s.upto.as_deref(), s.accounts, s.items))
            .collect();
        assert_eq!(
            bounds,
            vec![
                (None, Some("C001"), 2, 10),
                (Some("C001"), Some("C003"), 2, 10),
                (Some("C003"), None, 4, 10),
            ]
        );
    }

    #[test]
    fn a_small_portfolio_is_one_unbounded_shard() {
        for items in [&[][..], &[3][..], &[50, 50][..]] {
            let shards = cut(&accounts(items), 1000);
            assert_eq!(shards.len(), 1);
            assert_eq!((&shards[0].after, &shards[0].upto), (&None, &None));
        }
        // A shard ends at its target, but never leaves an empty last one.
        let shards = cut(&accounts(&[10, 10]), 10);
        assert_eq!(shards.len(), 2);
        assert_eq!(shards[1].upto, None);
    }
}
