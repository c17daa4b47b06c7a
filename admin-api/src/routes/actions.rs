//! `GET /actions` (the agenda), `POST /actions/{id}/approve`, `GET /alerts`.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use relance_engine::approve::{self, ApproveError};
use relance_engine::store::actions::{self, ActionFilter, ActionRow};
use relance_engine::store::alerts::{self, AlertFilter};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::{Page, next_cursor};
use crate::state::AppState;

/// Every state an action can be in.
pub const STATES: [&str; 7] = [
    "queued",
    "waiting_window",
    "waiting_review",
    "sent",
    "failed",
    "cancelled",
    "rejected",
];

/// Filters of `GET /actions`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// Only actions in this state.
    #[param(inline, value_type = Option<ActionState>)]
    pub state: Option<String>,
    /// Only actions of this collection account.
    pub account: Option<String>,
    /// Only actions decided for this run date (YYYY-MM-DD).
    #[param(format = Date)]
    pub date: Option<String>,
}

/// The states of an action.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    /// Waiting for the worker.
    Queued,
    /// Waiting for the send window of the account's timezone.
    WaitingWindow,
    /// Waiting for approval.
    WaitingReview,
    /// Delivered.
    Sent,
    /// Delivery failed for good.
    Failed,
    /// Nothing left to deliver.
    Cancelled,
    /// Rejected by a person: never sent.
    Rejected,
}

/// An action of the agenda.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionView {
    /// Its id.
    pub id: i64,
    /// The collection account.
    pub account: String,
    /// The scenario.
    pub scenario: String,
    /// The step.
    pub step: String,
    /// The leader item, `CUSTOMER/REFERENCE`.
    pub leader: String,
    /// Covered items, `CUSTOMER/REFERENCE`.
    pub items: Vec<String>,
    /// The run date it was decided for.
    pub run_date: String,
    /// The step's trigger date for the leader.
    pub planned_for: String,
    /// Its state.
    pub state: String,
    /// The step's actions (`email`, `letter`, `task`...).
    pub kinds: Vec<String>,
    /// The template, if any.
    pub template: Option<String>,
    /// Recipients.
    pub to: Vec<String>,
    /// Copies.
    pub cc: Vec<String>,
    /// `auto` or `review`.
    pub mode: Option<String>,
    /// A catch-up.
    pub late: bool,
    /// Why it was decided.
    pub why: Option<String>,
    /// The tasks its step opened (none until a review action is approved).
    pub tasks: Vec<crate::routes::tasks::TaskView>,
    /// When it was recorded.
    pub created_at: String,
    /// Who recorded it (`run:<id>`...).
    pub origin: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Payload {
    kinds: Vec<String>,
    template: Option<String>,
    to: Vec<String>,
    cc: Vec<String>,
    mode: Option<String>,
    late: bool,
    why: Option<String>,
}

impl From<ActionRow> for ActionView {
    fn from(r: ActionRow) -> Self {
        let payload: Payload = serde_json::from_str(&r.payload).unwrap_or_default();
        ActionView {
            id: r.id,
            account: r.account,
            scenario: r.scenario,
            step: r.step,
            leader: r.leader,
            items: serde_json::from_str(&r.items).unwrap_or_default(),
            run_date: r.run_date,
            planned_for: r.planned_for,
            state: r.state,
            kinds: payload.kinds,
            template: payload.template,
            to: payload.to,
            cc: payload.cc,
            mode: payload.mode,
            late: payload.late,
            why: payload.why,
            tasks: Vec::new(),
            created_at: r.created_at,
            origin: r.origin,
        }
    }
}

/// A page of actions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionPage {
    /// The actions, by id.
    pub actions: Vec<ActionView>,
    /// `after` for the next page; `null` on the last one.
    pub next: Option<i64>,
}

/// `GET /actions`.
#[utoipa::path(
    get,
    path = "/actions",
    params(ActionQuery, Page),
    responses(
        (status = 200, body = ActionPage),
        (status = 400, body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "actions"
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ActionQuery>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<ActionPage>, AppError> {
    let (after, limit) = page.checked()?;
    if let Some(s) = &query.state
        && !STATES.contains(&s.as_str())
    {
        return Err(AppError::BadRequest(format!(
            "state \"{s}\" is not an action state ({})",
            STATES.join(", ")
        )));
    }
    if let Some(d) = &query.date {
        super::parse_date("date", d)?;
    }
    let filter = ActionFilter {
        state: query.state,
        account: query.account,
        run_date: query.date,
        after,
        limit,
    };
    let mut tx = state.store().begin().await?;
    let rows = actions::list(&mut tx, &filter).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut tasks = relance_engine::store::tasks::of_actions(&mut tx, &ids).await?;
    tx.rollback().await?;
    let next = next_cursor(rows.iter().map(|r| r.id), rows.len(), limit);
    let actions = rows
        .into_iter()
        .map(|r| {
            let mut view = ActionView::from(r);
            let (mine, rest) = tasks.drain(..).partition(|t| t.action == view.id);
            tasks = rest;
            view.tasks = mine.into_iter().map(Into::into).collect();
            view
        })
        .collect();
    Ok(Json(ActionPage { actions, next }))
}

/// An approval done.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApprovedView {
    /// The action.
    pub id: i64,
    /// Its account.
    pub account: String,
    /// Its step.
    pub step: String,
    /// `queued`: the worker delivers it.
    pub state: String,
}

/// `POST /actions/{id}/approve`.
#[utoipa::path(
    post,
    path = "/actions/{id}/approve",
    params(("id" = i64, Path, description = "The action's id")),
    responses(
        (status = 200, body = ApprovedView),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "Not a review action waiting for review", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "actions"
)]
pub async fn approve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ApprovedView>, AppError> {
    let planner = state.planner();
    let stamp = crate::routes::items::stamp(&planner, &caller);
    match approve::approve(state.store(), &[id], &stamp).await {
        Ok(mut done) => {
            let a = done.pop().ok_or_else(|| {
                AppError::internal(std::io::Error::other("approval returned nothing"))
            })?;
            Ok(Json(ApprovedView {
                id: a.id,
                account: a.account,
                step: a.step,
                state: approve::QUEUED.into(),
            }))
        }
        Err(e) => Err(decision_error(e)),
    }
}

/// The body of `POST /actions/{id}/reject`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Why the action is not sent (kept in the history).
    pub reason: String,
}

/// `POST /actions/{id}/reject`: the action is `rejected` and never sent.
#[utoipa::path(
    post,
    path = "/actions/{id}/reject",
    params(("id" = i64, Path, description = "The action's id")),
    request_body = RejectRequest,
    responses(
        (status = 200, body = ApprovedView),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "Not a review action waiting for review", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "actions"
)]
pub async fn reject(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RejectRequest>,
) -> Result<Json<ApprovedView>, AppError> {
    let planner = state.planner();
    let stamp = crate::routes::items::stamp(&planner, &caller);
    match approve::reject(state.store(), &[id], &body.reason, &stamp).await {
        Ok(mut done) => {
            let a = done.pop().ok_or_else(|| {
                AppError::internal(std::io::Error::other("rejection returned nothing"))
            })?;
            Ok(Json(ApprovedView {
                id: a.id,
                account: a.account,
                step: a.step,
                state: approve::REJECTED.into(),
            }))
        }
        Err(e) => Err(decision_error(e)),
    }
}

/// An approval's or a rejection's error as the API answers it.
fn decision_error(e: ApproveError) -> AppError {
    match e {
        e @ ApproveError::Unknown(_) => AppError::NotFound(e.to_string()),
        e @ ApproveError::NotWaiting { .. } => AppError::Conflict(e.to_string()),
        e @ ApproveError::NoReason => AppError::BadRequest(e.to_string()),
        ApproveError::Store(e) => e.into(),
    }
}

/// Filters of `GET /alerts`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// `open`, `resolved` or `all` (default `all`).
    #[param(inline, value_type = Option<AlertState>)]
    pub state: Option<String>,
    /// Only alerts of this collection account.
    pub account: Option<String>,
    /// Only this alert (`broken_promise`...).
    pub alert: Option<String>,
}

/// Which alerts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Still holding.
    Open,
    /// No longer holding.
    Resolved,
    /// Both.
    All,
}

/// An alert.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    /// Its id.
    pub id: i64,
    /// The alert's name.
    pub alert: String,
    /// The account.
    pub account: String,
    /// The item, `CUSTOMER/REFERENCE`; `null` for account alerts.
    pub item: Option<String>,
    /// `low`, `medium`, `high`.
    pub level: String,
    /// `open` or `resolved`.
    pub state: String,
    /// The run date it was raised on.
    pub raised_on: String,
    /// The run date it was resolved on.
    pub resolved_on: Option<String>,
    /// Why it holds.
    pub detail: String,
    /// Who raised it.
    pub origin: String,
}

/// A page of alerts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertPage {
    /// The alerts, by id.
    pub alerts: Vec<AlertView>,
    /// `after` for the next page; `null` on the last one.
    pub next: Option<i64>,
}

/// `GET /alerts`.
#[utoipa::path(
    get,
    path = "/alerts",
    params(AlertQuery, Page),
    responses(
        (status = 200, body = AlertPage),
        (status = 400, body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "alerts"
)]
pub async fn alerts(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AlertQuery>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<AlertPage>, AppError> {
    let (after, limit) = page.checked()?;
    let open = match query.state.as_deref() {
        None | Some("all") => None,
        Some("open") => Some(true),
        Some("resolved") => Some(false),
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "state \"{other}\" is not an alert state (open, resolved, all)"
            )));
        }
    };
    let filter = AlertFilter {
        open,
        account: query.account,
        alert: query.alert,
        after,
        limit,
    };
    let mut tx = state.store().begin().await?;
    let rows = alerts::list(&mut tx, &filter).await?;
    tx.rollback().await?;
    let next = next_cursor(rows.iter().map(|r| r.id), rows.len(), limit);
    Ok(Json(AlertPage {
        alerts: rows
            .into_iter()
            .map(|r| AlertView {
                id: r.id,
                alert: r.alert,
                account: r.account,
                item: Some(r.item).filter(|i| !i.is_empty()),
                level: r.level,
                state: if r.resolved_on.is_some() {
                    "resolved".into()
                } else {
                    "open".into()
                },
                raised_on: r.raised_on,
                resolved_on: r.resolved_on,
                detail: r.detail,
                origin: r.origin,
            })
            .collect(),
        next,
    }))
}
