//! Runs started through the API: the request, the queue seam and the one
//! function that executes a run.
//!
//! `POST /runs` records the request in `api_runs` (state `queued`) and hands
//! a [`RunJob`] to the [`RunQueue`]. Today's queue, [`InProcessQueue`],
//! executes it in a task of this process, one run at a time; the delivery
//! worker's job queue will take its place behind the same trait, its handler
//! calling [`execute`]. A run records its actions with the origin
//! `run:<id>`, which is how `GET /runs/{id}` counts them. Nothing is sent
//! here: recorded actions stay `queued` for the worker.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::{DateTime, NaiveDate, Utc};
use relance_engine::planner::Planner;
use relance_engine::run::{self, RunError, Selection, When};
use relance_engine::store::{Store, StoreError, api_runs};
use serde::{Deserialize, Serialize};

/// The configuration in force: readers take a snapshot (`load_full`) and
/// keep it for their whole request; a reload stores a new one atomically.
/// [`InProcessQueue`] plans each run with the one in force when it starts.
pub type LivePlanner = Arc<ArcSwap<Planner>>;

/// The body of `POST /runs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The run date for every account (YYYY-MM-DD); default: now, each
    /// account's date in its timezone.
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// Plan only and return the plan (the JSON of `relance plan --json`).
    #[serde(default)]
    pub dry_run: bool,
    /// Only these collection accounts (default: all), 1 to 1000 codes.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 1000)]
    pub accounts: Option<Vec<String>>,
}

/// A run to execute: what the queue carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunJob {
    /// The `api_runs` id; actions are recorded with origin `run:<id>`.
    pub id: i64,
    /// What was asked.
    pub request: RunRequest,
}

impl RunJob {
    /// The origin of the actions this run records.
    pub fn origin(&self) -> String {
        origin(self.id)
    }
}

/// The origin of the actions of the API run `id`.
pub fn origin(id: i64) -> String {
    run::run_origin(id)
}

/// Why a run could not be queued.
#[derive(Debug, thiserror::Error)]
#[error("the run queue refused the run: {0}")]
pub struct QueueError(pub String);

/// A boxed future, so that the trait can be used as `dyn RunQueue`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where recorded run requests go to be executed.
pub trait RunQueue: Send + Sync + 'static {
    /// Takes a recorded run (state `queued`); returns once it is accepted,
    /// not once it is done.
    fn enqueue(&self, job: RunJob) -> BoxFuture<'_, Result<(), QueueError>>;
}

/// Runs executed in this process, one at a time, in spawned tasks.
#[derive(Debug, Clone)]
pub struct InProcessQueue {
    /// The store.
    store: Store,
    /// The configuration in force when a run starts.
    planner: LivePlanner,
    /// One run at a time; the others wait `queued`.
    one_at_a_time: Arc<tokio::sync::Semaphore>,
}

impl InProcessQueue {
    /// A queue over `store`, planning with the configuration in force.
    pub fn new(store: Store, planner: LivePlanner) -> InProcessQueue {
        InProcessQueue {
            store,
            planner,
            one_at_a_time: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }
}

impl RunQueue for InProcessQueue {
    fn enqueue(&self, job: RunJob) -> BoxFuture<'_, Result<(), QueueError>> {
        let queue = self.clone();
        Box::pin(async move {
            tokio::spawn(async move {
                let _permit = queue.one_at_a_time.acquire().await;
                let planner = queue.planner.load_full();
                // `execute` records the outcome; a failure is logged there.
                let _ = execute(&queue.store, &planner, &job, Utc::now()).await;
            });
            Ok(())
        })
    }
}

/// Marks runs left `queued` or `running` by a previous process as failed: an
/// in-process queue loses them when the server stops.
pub async fn fail_interrupted(store: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut tx = store.begin_write().await?;
    let n = api_runs::fail_unfinished(
        &mut tx,
        &stamp(now),
        "the server stopped before this run finished; start it again",
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

fn stamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn set_state(
    store: &Store,
    id: i64,
    state: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    api_runs::set_run_state(&mut tx, id, state, &stamp(Utc::now()), error).await?;
    tx.commit().await
}

/// Executes a recorded run: `running`, then [`run::run`] over its accounts
/// (recording actions with origin `run:<id>`, sending nothing), then `done`,
/// or `failed` with the reason. This is what a job handler calls.
#[tracing::instrument(skip_all, fields(run = job.id))]
pub async fn execute(
    store: &Store,
    planner: &Planner,
    job: &RunJob,
    now: DateTime<Utc>,
) -> Result<(), RunError> {
    set_state(store, job.id, "running", None).await?;
    let result = record(store, planner, &job.request, now, &job.origin()).await;
    match &result {
        Ok(recorded) => {
            tracing::info!(recorded, "run done");
            set_state(store, job.id, "done", None).await?;
        }
        Err(e) => {
            tracing::error!(error = %e, "run failed");
            let reason = match e {
                RunError::UnknownAccount(_) => e.to_string(),
                _ => "the run failed (the cause is in the server's log)".to_string(),
            };
            set_state(store, job.id, "failed", Some(&reason)).await?;
        }
    }
    result.map(|_| ())
}

/// When a request runs.
pub fn when(request: &RunRequest, now: DateTime<Utc>) -> When {
    request.date.map_or(When::At(now), When::Date)
}

/// The selections of a request: all accounts, or one per named account.
pub fn selections(planner: &Planner, request: &RunRequest) -> Vec<Selection> {
    match &request.accounts {
        None => vec![Selection::all(planner)],
        Some(codes) => codes
            .iter()
            .map(|code| Selection {
                account: Some(code.clone()),
                ..Selection::all(planner)
            })
            .collect(),
    }
}

async fn record(
    store: &Store,
    planner: &Planner,
    request: &RunRequest,
    now: DateTime<Utc>,
    origin: &str,
) -> Result<usize, RunError> {
    let when = when(request, now);
    let mut recorded = 0;
    for selection in selections(planner, request) {
        let outcome = run::run(store, planner, when, &selection, now, origin).await?;
        recorded += outcome.recorded.len();
    }
    Ok(recorded)
}
