//! `GET /tasks` (the colleagues' tasks) and `POST /tasks/{id}/done`.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use relance_engine::store::tasks::{TaskFilter, TaskRow};
use relance_engine::tasks::{self, Completion, TaskError};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::{Page, next_cursor};
use crate::state::AppState;

/// Every state a task can be in.
pub const STATES: [&str; 3] = ["open", "done", "cancelled"];

/// Filters of `GET /tasks`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Only the tasks of this colleague (an email address; `-` for the
    /// unassigned ones).
    pub assignee: Option<String>,
    /// Only tasks in this state.
    #[param(inline, value_type = Option<TaskState>)]
    pub state: Option<String>,
    /// Only tasks due on this date (YYYY-MM-DD).
    #[param(format = Date)]
    pub date: Option<String>,
    /// Only the tasks of this collection account.
    pub account: Option<String>,
}

/// The states of a task.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// To do.
    Open,
    /// Done, with an outcome.
    Done,
    /// Nobody needs to do it any more: every covered item was paid.
    Cancelled,
}

/// A task: what `relance tasks --json` and `GET /tasks` show.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    /// Its id.
    pub id: i64,
    /// The action whose step opened it.
    pub action: i64,
    /// The collection account.
    pub account: String,
    /// The scenario of the step.
    pub scenario: String,
    /// The step.
    pub step: String,
    /// `call`, `visit`, `check` or any word.
    pub kind: String,
    /// The colleague's address; `null` when nobody could be assigned.
    pub assignee: Option<String>,
    /// The step's note.
    pub note: Option<String>,
    /// Covered items, `CUSTOMER/REFERENCE`.
    pub items: Vec<String>,
    /// When it is due (the run date).
    pub due_on: String,
    /// `open`, `done` or `cancelled`.
    pub state: String,
    /// What came of it, once done.
    pub outcome: Option<String>,
    /// The note given with the outcome (or why it was cancelled).
    pub outcome_note: Option<String>,
    /// The date the customer promised to pay, with outcome `promise`.
    pub promise_date: Option<String>,
    /// When it was done or cancelled.
    pub closed_at: Option<String>,
    /// Who did it or cancelled it (`cli`, `api:<token>`, `ui:<email>`, `run:<id>`).
    pub closed_by: Option<String>,
    /// When it was opened.
    pub created_at: String,
}

impl From<TaskRow> for TaskView {
    fn from(t: TaskRow) -> Self {
        TaskView {
            id: t.id,
            action: t.action,
            account: t.account,
            scenario: t.scenario,
            step: t.step,
            kind: t.kind,
            assignee: t.assignee,
            note: t.note,
            items: t.items,
            due_on: t.due_on,
            state: t.state,
            outcome: t.outcome,
            outcome_note: t.outcome_note,
            promise_date: t.promise_date,
            closed_at: t.closed_at,
            closed_by: t.closed_by,
            created_at: t.created_at,
        }
    }
}

impl TaskQuery {
    /// The store's filter, checked (`after` and `limit` from the page).
    pub fn filter(self, after: i64, limit: u32) -> Result<TaskFilter, String> {
        if let Some(s) = &self.state
            && !STATES.contains(&s.as_str())
        {
            return Err(format!(
                "state \"{s}\" is not a task state ({})",
                STATES.join(", ")
            ));
        }
        if let Some(d) = &self.date {
            super::parse_date("date", d).map_err(|e| e.to_string())?;
        }
        Ok(TaskFilter {
            assignee: self.assignee.map(|a| match a.trim() {
                "-" => String::new(),
                a => a.to_lowercase(),
            }),
            state: self.state,
            due_on: self.date,
            account: self.account,
            after,
            limit,
        })
    }
}

/// A page of tasks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskPage {
    /// The tasks, by id.
    pub tasks: Vec<TaskView>,
    /// `after` for the next page; `null` on the last one.
    pub next: Option<i64>,
}

/// `GET /tasks`.
#[utoipa::path(
    get,
    path = "/tasks",
    params(TaskQuery, Page),
    responses(
        (status = 200, body = TaskPage),
        (status = 400, body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "tasks"
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<TaskQuery>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<TaskPage>, AppError> {
    let (after, limit) = page.checked()?;
    let filter = query.filter(after, limit).map_err(AppError::BadRequest)?;
    let mut tx = state.store().begin().await?;
    let rows = relance_engine::store::tasks::list(&mut tx, &filter).await?;
    tx.rollback().await?;
    let next = next_cursor(rows.iter().map(|r| r.id), rows.len(), limit);
    Ok(Json(TaskPage {
        tasks: rows.into_iter().map(TaskView::from).collect(),
        next,
    }))
}

/// The body of `POST /tasks/{id}/done`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoneRequest {
    /// `reached`, `no_answer`, `promise`, `dispute`, `wrong_contact` or any
    /// word. `promise` and `dispute` give the covered items that status when
    /// the configuration has it.
    pub outcome: String,
    /// Free text (a dispute's reason).
    pub note: Option<String>,
    /// The date the customer promised to pay (YYYY-MM-DD), with `promise`.
    #[schema(format = Date)]
    pub promise_date: Option<String>,
}

/// `POST /tasks/{id}/done`: the task is `done`, with its outcome.
#[utoipa::path(
    post,
    path = "/tasks/{id}/done",
    params(("id" = i64, Path, description = "The task's id")),
    request_body = DoneRequest,
    responses(
        (status = 200, body = TaskView),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "The task is not open", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "tasks"
)]
pub async fn done(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DoneRequest>,
) -> Result<Json<TaskView>, AppError> {
    let planner = state.planner();
    let stamp = crate::routes::items::stamp(&planner, &caller);
    let promise_date = body
        .promise_date
        .as_deref()
        .map(|d| super::parse_date("promise_date", d))
        .transpose()?;
    let completion = Completion {
        outcome: body.outcome,
        note: body.note,
        promise_date,
    };
    tasks::done(state.store(), &planner.config, id, &completion, &stamp)
        .await
        .map(|t| Json(TaskView::from(t)))
        .map_err(task_error)
}

/// A completion's error as the API answers it.
pub fn task_error(e: TaskError) -> AppError {
    match e {
        e @ TaskError::Unknown(_) => AppError::NotFound(e.to_string()),
        e @ TaskError::NotOpen { .. } => AppError::Conflict(e.to_string()),
        TaskError::Store(e)
        | TaskError::Status {
            source: relance_engine::status::StatusError::Store(e),
            ..
        } => e.into(),
        e => AppError::BadRequest(e.to_string()),
    }
}
