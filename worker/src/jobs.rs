//! The worker's jobs, on apalis with its SQL storage in the store's own
//! database (apalis-sqlite, or apalis-postgres when the store is
//! PostgreSQL), each in a named queue:
//!
//! | job | queue | does |
//! |---|---|---|
//! | [`DailyRun`] | `relance.daily_run` | records the day's run of one timezone, cut into shards, and pushes a `RunShard` per shard |
//! | [`RunShard`] | `relance.run_shard` | plans and records one shard's accounts; the last shard done asks for a `Deliver` |
//! | [`Deliver`] | `relance.deliver` | delivers every due action (coarse: batches of the outbox) |
//! | [`EvaluateAlerts`] | `relance.evaluate_alerts` | the data freshness gate: raises or resolves `stale_data` |
//! | [`PurgeFiles`] | `relance.purge_files` | deletes the files of items cleared longer ago than `files_kept_after_clearing` ([`purge_files`]) |
//!
//! Cron (apalis-cron, `cron` schedules) pushes them: a `DailyRun` per
//! timezone at the configured local time (07:00 by default), a `Deliver`
//! every poll interval (retries, send windows, approvals), `EvaluateAlerts`
//! hourly (which also pushes again the shards of runs started over
//! [`RESUME_AFTER`] ago and not done), `PurgeFiles` daily; finished jobs are
//! vacuumed hourly. Every job is idempotent through the database, so
//! several worker processes may each push the same ticks, and any of them
//! runs any shard (docs/operations.md). Handlers are thin: they call plain
//! functions ([`fan_out`], [`run_shard`],
//! [`Delivery::deliver_due`], [`Delivery::freshness`], [`purge_files`]).

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use chrono::{NaiveTime, Timelike as _, Utc};
use relance_engine::files::{FileError, FileStore};
use relance_engine::run;
use relance_engine::shards;
use relance_engine::store::{StoreError, customers, jobs};
use serde::{Deserialize, Serialize};
use tracing::{error, info, instrument};

use crate::deliver::{DeliverError, Delivery};

/// Plans, records and delivers the day of the accounts in one timezone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyRun {
    /// The IANA timezone whose accounts run.
    pub timezone: String,
}

/// Plans and records one shard of a daily run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunShard {
    /// The run (`api_runs.id`).
    pub run: i64,
    /// The shard's number in it.
    pub shard: i64,
}

/// Delivers every due action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliver {
    /// What asked for it (`poll`, `daily_run`, `startup`), for the logs.
    pub reason: String,
}

/// Evaluates the alerts the worker owns (`stale_data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluateAlerts {}

/// Purges the files kept long enough after their item was cleared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeFiles {}

/// Queue names.
pub mod queue {
    /// [`super::DailyRun`]
    pub const DAILY_RUN: &str = "relance.daily_run";
    /// [`super::RunShard`]
    pub const RUN_SHARD: &str = "relance.run_shard";
    /// [`super::Deliver`]
    pub const DELIVER: &str = "relance.deliver";
    /// [`super::EvaluateAlerts`]
    pub const EVALUATE_ALERTS: &str = "relance.evaluate_alerts";
    /// [`super::PurgeFiles`]
    pub const PURGE_FILES: &str = "relance.purge_files";
}

/// How the worker schedules.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Local time of the daily run in each timezone.
    pub daily_at: NaiveTime,
    /// How often due actions are looked for (retries, windows, approvals).
    pub poll: Duration,
    /// Finished jobs older than this are vacuumed.
    pub keep_jobs: Duration,
    /// Concurrent `Deliver` jobs in this process.
    pub deliverers: usize,
    /// Where attached files are kept, for `PurgeFiles`; `None`: nothing is
    /// purged (a store without a file store has no files to purge).
    pub files: Option<FileStore>,
    /// Open items per shard of a daily run.
    pub shard_items: usize,
    /// Push a `DailyRun` of every timezone at start (`relance worker
    /// --run-now`), as the daily cron tick would.
    pub run_now: bool,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            daily_at: NaiveTime::from_hms_opt(7, 0, 0).unwrap_or_default(),
            poll: Duration::from_secs(30),
            keep_jobs: Duration::from_secs(24 * 3600),
            deliverers: 1,
            files: None,
            shard_items: relance_engine::shards::ITEMS_PER_SHARD,
            run_now: false,
        }
    }
}

/// Why a job failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Not worth retrying (an unknown timezone): the job is aborted.
    #[error("{0}")]
    Permanent(String),
    /// The run failed (the store...): retried.
    #[error(transparent)]
    Run(#[from] run::RunError),
    /// Delivery failed (the store...): retried.
    #[error(transparent)]
    Deliver(#[from] DeliverError),
    /// The store failed: retried.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A job could not be queued: retried.
    #[error("queueing a job: {0}")]
    Queue(String),
    /// The job queue failed.
    #[error("job queue: {0}")]
    Monitor(String),
    /// Purging files failed: retried.
    #[error(transparent)]
    Files(#[from] FileError),
}

impl JobError {
    /// As apalis wants it: permanent errors abort, others are retried.
    fn into_apalis(self) -> BoxDynError {
        match self {
            JobError::Permanent(_) => Box::new(AbortError::new(self)),
            other => Box::new(other),
        }
    }
}

/// The daily run of one timezone at `now`, sharded: records the run and
/// its shards once (a second call, from another worker's tick, finds them)
/// and cancels the tasks whose items were all paid; returns the run with
/// the shards still to do, for the caller to push.
#[instrument(skip_all, fields(timezone = %timezone))]
pub async fn fan_out(
    delivery: &Delivery,
    timezone: &str,
    now: chrono::DateTime<Utc>,
    shard_items: usize,
) -> Result<shards::FanOut, JobError> {
    let tz: chrono_tz::Tz = timezone
        .parse()
        .map_err(|_| JobError::Permanent(format!("unknown timezone {timezone:?}")))?;
    let planner = &delivery.planner;
    let origin = format!("worker:daily_run:{timezone}:{}", now.format("%Y%m%d"));
    let now_text = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    relance_engine::tasks::cancel_paid(&delivery.store, &now_text, &origin).await?;
    let fanned = shards::fan_out(
        &delivery.store,
        planner,
        tz,
        now,
        shard_items,
        "worker:daily_run",
    )
    .await?;
    info!(
        run = fanned.run,
        created = fanned.created,
        pending = fanned.pending.len(),
        "daily run sharded"
    );
    Ok(fanned)
}

/// Runs one shard of a daily run as `worker`.
#[instrument(skip_all, fields(run = job.run, shard = job.shard))]
pub async fn run_shard(
    delivery: &Delivery,
    job: &RunShard,
    worker: &str,
    now: chrono::DateTime<Utc>,
) -> Result<shards::ShardOutcome, JobError> {
    let outcome = shards::run_shard(
        &delivery.store,
        &delivery.planner,
        job.run,
        job.shard,
        worker,
        now,
    )
    .await?;
    info!(?outcome, "shard run");
    Ok(outcome)
}

/// The timezones with accounts: the settings' and the leaders' own.
pub async fn timezones(delivery: &Delivery) -> Result<Vec<chrono_tz::Tz>, JobError> {
    let mut list = vec![delivery.planner.config.settings.timezone];
    for name in customers::account_timezones(&delivery.store).await? {
        if let Ok(tz) = name.parse::<chrono_tz::Tz>()
            && !list.contains(&tz)
        {
            list.push(tz);
        }
    }
    Ok(list)
}

/// Where jobs are pushed: the queues of the store's backend.
#[derive(Clone)]
enum Queues {
    Sqlite {
        daily: SqliteStorage<DailyRun>,
        run_shard: SqliteStorage<RunShard>,
        deliver: SqliteStorage<Deliver>,
        alerts: SqliteStorage<EvaluateAlerts>,
        purge: SqliteStorage<PurgeFiles>,
    },
    Postgres {
        daily: PostgresStorage<DailyRun>,
        run_shard: PostgresStorage<RunShard>,
        deliver: PostgresStorage<Deliver>,
        alerts: PostgresStorage<EvaluateAlerts>,
        purge: PostgresStorage<PurgeFiles>,
    },
}

macro_rules! push {
    ($queues:expr, $field:ident, $job:expr) => {
        match $queues {
            Queues::Sqlite { $field, .. } => {
                $field.clone().push($job).await.map_err(|e| e.to_string())
            }
            Queues::Postgres { $field, .. } => {
                $field.clone().push($job).await.map_err(|e| e.to_string())
            }
        }
        .map_err(JobError::Queue)
    };
}

/// What the handlers share.
struct Shared {
    delivery: Delivery,
    queues: Queues,
    options: WorkerOptions,
    /// This process's name among the workers (`pid.start`), written on the
    /// shards it starts.
    instance: String,
}

type Ctx = Data<Arc<Shared>>;

async fn on_daily_run(job: DailyRun, ctx: Ctx) -> Result<(), BoxDynError> {
    let fanned = fan_out(
        &ctx.delivery,
        &job.timezone,
        Utc::now(),
        ctx.options.shard_items,
    )
    .await
    .map_err(|e| {
        error!(timezone = %job.timezone, error = %e, "daily run failed");
        e.into_apalis()
    })?;
    for shard in fanned.pending {
        push!(
            &ctx.queues,
            run_shard,
            RunShard {
                run: fanned.run,
                shard
            }
        )
        .map_err(JobError::into_apalis)?;
    }
    Ok(())
}

async fn on_run_shard(job: RunShard, ctx: Ctx) -> Result<(), BoxDynError> {
    let outcome = run_shard(&ctx.delivery, &job, &ctx.instance, Utc::now())
        .await
        .map_err(|e| {
            error!(run = job.run, shard = job.shard, error = %e, "shard failed");
            e.into_apalis()
        })?;
    if let shards::ShardOutcome::Ran {
        finished_run: true, ..
    } = outcome
    {
        push!(
            &ctx.queues,
            deliver,
            Deliver {
                reason: "daily_run".into()
            }
        )
        .map_err(JobError::into_apalis)?;
    }
    Ok(())
}

/// Logs a failed job at `error` (apalis says so only at `debug`) and hands
/// the error to apalis: retried, or aborted when permanent.
fn logged(job: &'static str) -> impl FnOnce(JobError) -> BoxDynError {
    move |e| {
        error!(job, error = %e, "job failed");
        e.into_apalis()
    }
}

async fn on_deliver(job: Deliver, ctx: Ctx) -> Result<(), BoxDynError> {
    let report = ctx
        .delivery
        .deliver_due(Utc::now())
        .await
        .map_err(JobError::from)
        .map_err(logged("deliver"))?;
    if report.sent + report.failed + report.retried + report.cancelled > 0 {
        info!(reason = %job.reason, sent = report.sent, failed = report.failed,
            retried = report.retried, cancelled = report.cancelled, waiting = report.waiting, "delivered");
    }
    Ok(())
}

async fn on_evaluate_alerts(_job: EvaluateAlerts, ctx: Ctx) -> Result<(), BoxDynError> {
    ctx.delivery
        .freshness(Utc::now())
        .await
        .map_err(JobError::from)
        .map_err(logged("evaluate_alerts"))?;
    Ok(())
}

async fn on_purge_files(_job: PurgeFiles, ctx: Ctx) -> Result<(), BoxDynError> {
    if let Some(files) = &ctx.options.files {
        purge_files(&ctx.delivery, files, Utc::now())
            .await
            .map_err(logged("purge_files"))?;
    }
    Ok(())
}

/// Deletes the files of items cleared at least `files_kept_after_clearing`
/// before today (in the settings' timezone), each with a history line;
/// returns how many. Running it twice deletes nothing the second time.
#[instrument(skip_all)]
pub async fn purge_files(
    delivery: &Delivery,
    files: &FileStore,
    now: chrono::DateTime<Utc>,
) -> Result<usize, JobError> {
    let settings = &delivery.planner.config.settings;
    let today = now.with_timezone(&settings.timezone).date_naive();
    let purged = relance_engine::files::purge(
        &delivery.store,
        files,
        today,
        settings.files_kept_days,
        false,
        &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "worker:purge_files",
    )
    .await?;
    if !purged.is_empty() {
        info!(files = purged.len(), "purged files past retention");
    }
    Ok(purged.len())
}

/// A cron tick pushing a job.
#[derive(Debug, Clone, Copy)]
enum Every {
    /// A `DailyRun` for this timezone.
    Daily(chrono_tz::Tz),
    /// A `Deliver`.
    Poll,
    /// `EvaluateAlerts` and the vacuum of finished jobs.
    Hourly,
    /// `PurgeFiles`.
    Nightly,
}

async fn on_tick(
    _tick: Tick<chrono_tz::Tz>,
    every: Data<Every>,
    ctx: Ctx,
) -> Result<(), BoxDynError> {
    let pushed = match *every {
        Every::Daily(tz) => {
            push!(
                &ctx.queues,
                daily,
                DailyRun {
                    timezone: tz.name().to_string()
                }
            )
        }
        Every::Poll => push!(
            &ctx.queues,
            deliver,
            Deliver {
                reason: "poll".into()
            }
        ),
        Every::Hourly => {
            let keep = chrono::TimeDelta::from_std(ctx.options.keep_jobs).unwrap_or_default();
            let before = (Utc::now() - keep).timestamp();
            match jobs::vacuum_jobs(&ctx.delivery.store, before).await {
                Ok(n) if n > 0 => info!(jobs = n, "vacuumed finished jobs"),
                Ok(_) => {}
                Err(e) => error!(error = %e, "vacuuming finished jobs"),
            }
            // A failure here must not keep the hour's alerts from being
            // evaluated: it is logged, and tried again next hour.
            if let Err(e) = resume_shards(&ctx).await {
                error!(error = %e, "pushing unfinished shards again");
            }
            push!(&ctx.queues, alerts, EvaluateAlerts {})
        }
        Every::Nightly => push!(&ctx.queues, purge, PurgeFiles {}),
    };
    pushed.map_err(JobError::into_apalis)
}

/// Shards of a daily run not done this long after the run started are
/// pushed again (a job lost with its queue's row, say): running a shard
/// twice records nothing twice.
pub const RESUME_AFTER: Duration = Duration::from_secs(30 * 60);

/// Pushes again the shards of daily runs started over [`RESUME_AFTER`] ago
/// and not done.
async fn resume_shards(ctx: &Shared) -> Result<(), BoxDynError> {
    let since = chrono::TimeDelta::from_std(RESUME_AFTER).unwrap_or_default();
    let before = (Utc::now() - since).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut tx = ctx
        .delivery
        .store
        .begin()
        .await
        .map_err(|e| JobError::from(e).into_apalis())?;
    let stale = relance_engine::store::shards::unfinished(&mut tx, &before)
        .await
        .map_err(|e| JobError::from(e).into_apalis())?;
    tx.rollback()
        .await
        .map_err(|e| JobError::from(e).into_apalis())?;
    for (run, shard) in stale {
        info!(run, shard, "pushing an unfinished shard again");
        push!(&ctx.queues, run_shard, RunShard { run, shard }).map_err(JobError::into_apalis)?;
    }
    Ok(())
}

/// A cron schedule (`cron` syntax with seconds) in a timezone.
fn schedule(expr: &str) -> Result<cron::Schedule, JobError> {
    cron::Schedule::from_str(expr)
        .map_err(|e| JobError::Permanent(format!("cron schedule {expr:?}: {e}")))
}

/// The schedule of a poll interval: every N seconds (N divides a minute) or
/// minutes.
fn poll_schedule(poll: Duration) -> Result<cron::Schedule, JobError> {
    let secs = poll.as_secs().max(1);
    let expr = if secs < 60 {
        let step = (1..=secs).rev().find(|s| 60 % s == 0).unwrap_or(1);
        format!("*/{step} * * * * *")
    } else {
        let minutes = (secs / 60).clamp(1, 59);
        format!("0 */{minutes} * * * *")
    };
    schedule(&expr)
}

/// Runs the worker until `shutdown` resolves (Ctrl-C in the binary): the
/// job queues in the store's database, the cron schedules, and the jobs'
/// workers; then stops gracefully (jobs in progress finish).
pub async fn run_worker(
    delivery: Delivery,
    options: WorkerOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), JobError> {
    let zones = timezones(&delivery).await?;
    let daily = schedule(&format!(
        "{} {} {} * * *",
        options.daily_at.second(),
        options.daily_at.minute(),
        options.daily_at.hour()
    ))?;
    let poll = poll_schedule(options.poll)?;
    let hourly = schedule("0 0 * * * *")?;
    let nightly = schedule("0 30 3 * * *")?;
    let settings_tz = delivery.planner.config.settings.timezone;
    let store = delivery.store.clone();
    let signal = async move {
        shutdown.await;
        info!("shutting down");
        Ok(())
    };
    let poll_every = options.poll;
    // apalis registers workers by name: a restarted process must not reuse
    // the names of one that died (its registration is still fresh).
    let instance = format!("{}.{}", std::process::id(), Utc::now().timestamp_millis());

    macro_rules! monitor {
        ($storage:ident, $config:path, $pool:expr, $variant:ident) => {{
            let pool = $pool;
            $storage::<()>::migrations()
                .run(pool)
                .await
                .map_err(|e| JobError::Monitor(format!("job queue schema: {e}")))?;
            let config = |q: &str| {
                <$config>::default()
                    .queue(q)
                    .heartbeat_interval(Duration::from_secs(10))
            };
            let queues = Queues::$variant {
                daily: $storage::new(pool).with_config(config(queue::DAILY_RUN)),
                run_shard: $storage::new(pool).with_config(config(queue::RUN_SHARD)),
                deliver: $storage::new(pool).with_config(config(queue::DELIVER)),
                alerts: $storage::new(pool).with_config(config(queue::EVALUATE_ALERTS)),
                purge: $storage::new(pool).with_config(config(queue::PURGE_FILES)),
            };
            let shared = Arc::new(Shared {
                delivery,
                queues: queues.clone(),
                options: options.clone(),
                instance: instance.clone(),
            });
            if options.run_now {
                for tz in &zones {
                    push!(
                        &shared.queues,
                        daily,
                        DailyRun {
                            timezone: tz.name().to_string()
                        }
                    )?;
                }
            }
            push!(
                &shared.queues,
                deliver,
                Deliver {
                    reason: "startup".into()
                }
            )?;
            let Queues::$variant {
                daily: q_daily,
                run_shard: q_shard,
                deliver: q_deliver,
                alerts: q_alerts,
                purge: q_purge,
            } = queues
            else {
                unreachable!()
            };
            let mut monitor = Monitor::new().shutdown_timeout(Duration::from_secs(60));
            {
                let (s, q, instance) = (shared.clone(), q_daily, instance.clone());
                monitor = monitor.register(move |_| {
                    WorkerBuilder::new(format!("relance-daily-run@{instance}"))
                        .backend(q.clone().poll_with_interval(poll_every))
                        .retry(RetryPolicy::retries(3))
                        .data(s.clone())
                        .build(on_daily_run)
                });
            }
            {
                let (s, q, instance) = (shared.clone(), q_shard, instance.clone());
                monitor = monitor.register(move |_| {
                    WorkerBuilder::new(format!("relance-run-shard@{instance}"))
                        .backend(
                            q.clone()
                                .poll_with_interval(poll_every.min(Duration::from_secs(1))),
                        )
                        .concurrency(1)
                        .retry(RetryPolicy::retries(3))
                        .data(s.clone())
                        .build(on_run_shard)
                });
            }
            for n in 0..options.deliverers.max(1) {
                let (s, q, instance) = (shared.clone(), q_deliver.clone(), instance.clone());
                monitor = monitor.register(move |_| {
                    WorkerBuilder::new(format!("relance-deliver-{n}@{instance}"))
                        .backend(
                            q.clone()
                                .poll_with_interval(poll_every.min(Duration::from_secs(1))),
                        )
                        .concurrency(1)
                        .retry(RetryPolicy::retries(3))
                        .data(s.clone())
                        .build(on_deliver)
                });
            }
            {
                let (s, q, instance) = (shared.clone(), q_alerts, instance.clone());
                monitor = monitor.register(move |_| {
                    WorkerBuilder::new(format!("relance-evaluate-alerts@{instance}"))
                        .backend(q.clone().poll_with_interval(poll_every))
                        .retry(RetryPolicy::retries(3))
                        .data(s.clone())
                        .build(on_evaluate_alerts)
                });
            }
            {
                let (s, q, instance) = (shared.clone(), q_purge, instance.clone());
                monitor = monitor.register(move |_| {
                    WorkerBuilder::new(format!("relance-purge-files@{instance}"))
                        .backend(q.clone().poll_with_interval(poll_every))
                        .retry(RetryPolicy::retries(3))
                        .data(s.clone())
                        .build(on_purge_files)
                });
            }
            let mut ticks: Vec<(String, cron::Schedule, chrono_tz::Tz, Every)> = zones
                .iter()
                .map(|tz| {
                    (
                        format!("relance-cron-daily-{}@{instance}", tz.name()),
                        daily.clone(),
                        *tz,
                        Every::Daily(*tz),
                    )
                })
                .collect();
            ticks.push((
                format!("relance-cron-poll@{instance}"),
                poll.clone(),
                settings_tz,
                Every::Poll,
            ));
            ticks.push((
                format!("relance-cron-hourly@{instance}"),
                hourly.clone(),
                settings_tz,
                Every::Hourly,
            ));
            ticks.push((
                format!("relance-cron-nightly@{instance}"),
                nightly.clone(),
                settings_tz,
                Every::Nightly,
            ));
            for (name, sched, tz, every) in ticks {
                let s = shared.clone();
                monitor = monitor.register(move |_| {
                    WorkerBuilder::new(name.clone())
                        .backend(CronScheduler::new(sched.clone()).with_timezone(tz))
                        .data(every)
                        .data(s.clone())
                        .build(on_tick)
                });
            }
            info!(timezones = zones.len(), "worker started");
            monitor
                .run_with_signal(signal)
                .await
                .map_err(|e| JobError::Monitor(e.to_string()))
        }};
    }

    let result = if let Some(pool) = store.sqlite_pool() {
        monitor!(SqliteStorage, apalis_sqlite::Config, pool, Sqlite)
    } else if let Some(pool) = store.postgres_pool() {
        monitor!(PostgresStorage, apalis_postgres::Config, pool, Postgres)
    } else {
        Err(JobError::Monitor("the store has no pool".into()))
    };
    info!("worker stopped");
    result
}
