//! `POST /runs` and `GET /runs/{id}`.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use relance_engine::planner::output::PlanJson;
use relance_engine::run::{self, RunError};
use relance_engine::store::{Store, StoreError, Tx, api_runs, customers, reports, shards};
use serde::Serialize;

use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath};
use crate::runs::{self, RunJob, RunRequest};
use crate::state::AppState;

/// The most accounts one request may name.
const MAX_ACCOUNTS: usize = 1000;

/// A run just queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Queued {
    /// Its id: `GET /runs/{id}`.
    pub id: i64,
    /// `queued`.
    pub state: String,
}

/// A run and what it recorded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunView {
    /// Its id.
    pub id: i64,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// What was asked.
    #[schema(value_type = Object)]
    pub request: serde_json::Value,
    /// Who asked (`api:<token name>`).
    pub requested_by: String,
    /// When (RFC 3339).
    pub requested_at: String,
    /// When it started.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Its actions by state.
    pub counts: RunCounts,
    /// A worker's daily run: its shards, by number (empty for the API's
    /// runs, which one process runs whole).
    pub shards: Vec<ShardView>,
}

/// A shard of a daily run: a range of account codes one worker runs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShardView {
    /// Its number in the run, from 1.
    pub shard: i64,
    /// Its codes are after this one (`null`: from the first).
    pub after: Option<String>,
    /// ...up to this one included (`null`: to the last).
    pub upto: Option<String>,
    /// Accounts in it when the run was cut.
    pub accounts: i64,
    /// Their open items then.
    pub items: i64,
    /// `queued`, `running` or `done`.
    pub state: String,
    /// Times a worker started it (more than 1: a worker stopped mid-shard
    /// and another took it over).
    pub attempts: i64,
    /// The worker that started it last (`pid.start` of the process).
    pub worker: Option<String>,
    /// When it was last started.
    pub started_at: Option<String>,
    /// When it was done.
    pub finished_at: Option<String>,
    /// Actions its finishing attempt recorded.
    pub recorded: i64,
}

/// The actions a run recorded, by state.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct RunCounts {
    /// Every action it recorded.
    pub planned: i64,
    /// Waiting for the worker.
    pub queued: i64,
    /// Delivered.
    pub sent: i64,
    /// Delivery failed for good.
    pub failed: i64,
    /// Nothing left to send when the worker came.
    pub cancelled: i64,
    /// Waiting for the send window or for review.
    pub waiting: i64,
}

fn check_request(request: &RunRequest) -> Result<(), AppError> {
    if let Some(date) = request.date {
        super::check_year("date", date)?;
    }
    if let Some(codes) = &request.accounts {
        if codes.is_empty() {
            return Err(AppError::BadRequest(
                "accounts is empty: leave it out to run every account".into(),
            ));
        }
        if codes.len() > MAX_ACCOUNTS {
            return Err(AppError::BadRequest(format!(
                "accounts names {} accounts; at most {MAX_ACCOUNTS} per run (leave it out to run every account)",
                codes.len()
            )));
        }
    }
    Ok(())
}

/// `POST /runs`: queues a run, or with `dry_run` returns the plan.
#[utoipa::path(
    post,
    path = "/runs",
    request_body = RunRequest,
    responses(
        (status = 202, description = "The run is queued", body = Queued),
        (status = 200, description = "dry_run: the plan, as `relance plan --json`", body = Object),
        (status = 400, description = "Malformed request", body = crate::error::ErrorBody),
        (status = 404, description = "Accounts that are no collection accounts", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "runs"
)]
pub async fn start(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(request): ApiJson<RunRequest>,
) -> Result<Response, AppError> {
    check_request(&request)?;
    let store = state.store();
    if let Some(codes) = &request.accounts {
        let mut tx = store.begin().await?;
        let missing = customers::not_accounts(&mut tx, codes).await?;
        tx.rollback().await?;
        if !missing.is_empty() {
            return Err(AppError::NotFound(format!(
                "no collection account {}: unknown customers, or customers collected through their group leader",
                missing.join(", ")
            )));
        }
    }
    let planner = state.planner();
    let now = Utc::now();
    if request.dry_run {
        let when = runs::when(&request, now);
        let mut doc = PlanJson {
            date: Some(when.headline(&planner)),
            ..PlanJson::default()
        };
        for selection in runs::selections(&planner, &request) {
            let plans =
                run::plan(store, &planner, when, &selection)
                    .await
                    .map_err(|e| match e {
                        RunError::UnknownAccount(_) => AppError::NotFound(e.to_string()),
                        other => AppError::internal(other),
                    })?;
            for p in &plans {
                doc.push(p);
            }
        }
        doc.sort();
        return Ok(Json(doc).into_response());
    }
    let text = serde_json::to_string(&request).map_err(AppError::internal)?;
    let mut tx = store.begin_write().await?;
    let id = api_runs::insert_run(
        &mut tx,
        &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        &caller.origin(),
        &text,
    )
    .await?;
    tx.commit().await?;
    state
        .queue()
        .enqueue(RunJob { id, request })
        .await
        .map_err(AppError::internal)?;
    tracing::info!(run = id, by = %caller.name, "run queued");
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/runs/{id}"))],
        Json(Queued {
            id,
            state: "queued".into(),
        }),
    )
        .into_response())
}

/// `GET /runs/{id}`.
#[utoipa::path(
    get,
    path = "/runs/{id}",
    params(("id" = i64, Path, description = "The run's id")),
    responses(
        (status = 200, body = RunView),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "runs"
)]
pub async fn show(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RunView>, AppError> {
    match view(state.store(), id).await? {
        Some(view) => Ok(Json(view)),
        None => Err(AppError::NotFound(format!("no run {id}"))),
    }
}

/// Run `id` as `GET /runs/{id}` shows it (also `relance runs ID`);
/// `None` when there is none.
pub async fn view(store: &Store, id: i64) -> Result<Option<RunView>, StoreError> {
    let mut tx = store.begin().await?;
    let Some(row) = api_runs::run(&mut tx, id).await? else {
        tx.rollback().await?;
        return Ok(None);
    };
    let view = view_of(&mut tx, row).await;
    tx.rollback().await?;
    view.map(Some)
}

/// The latest `limit` runs, newest first, as `GET /runs/{id}` shows them
/// (`relance runs`).
pub async fn recent(store: &Store, limit: i64) -> Result<Vec<RunView>, StoreError> {
    let mut tx = store.begin().await?;
    let mut views = Vec::new();
    for row in api_runs::recent(&mut tx, limit).await? {
        views.push(view_of(&mut tx, row).await?);
    }
    tx.rollback().await?;
    Ok(views)
}

async fn view_of(tx: &mut Tx, row: api_runs::RunRow) -> Result<RunView, StoreError> {
    let states = reports::action_states_of(tx, &runs::origin(row.id)).await?;
    let shards = shards::of_run(tx, row.id).await?;
    let mut counts = RunCounts::default();
    for (state, n) in states {
        counts.planned += n;
        match state.as_str() {
            "queued" => counts.queued += n,
            "sent" => counts.sent += n,
            "failed" => counts.failed += n,
            "cancelled" => counts.cancelled += n,
            s if s.starts_with("waiting") => counts.waiting += n,
            _ => {}
        }
    }
    Ok(RunView {
        id: row.id,
        state: row.state,
        request: serde_json::from_str(&row.request).unwrap_or(serde_json::Value::Null),
        requested_by: row.requested_by,
        requested_at: row.requested_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        error: row.error,
        counts,
        shards: shards
            .into_iter()
            .map(|s| ShardView {
                shard: s.shard,
                after: s.after,
                upto: s.upto,
                accounts: s.accounts,
                items: s.items,
                state: s.state,
                attempts: s.attempts,
                worker: s.worker,
                started_at: s.started_at,
                finished_at: s.finished_at,
                recorded: s.recorded,
            })
            .collect(),
    })
}
