//! Tasks in the workspace: mine on Today, an account's on its page, and
//! the form that completes one (through `engine::tasks::done`, as
//! `relance task done` and `POST /tasks/{id}/done` do).

use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::response::Response;
use chrono::NaiveDate;
use relance_engine::store::StoreError;
use relance_engine::store::tasks::{OPEN, TaskFilter};
use relance_engine::tasks::{self, Completion, TaskError};
use serde::{Deserialize, Serialize};

use super::i18n::Lang;
use super::pages::{back_to, form_date, stamp};
use super::session::Session;
use super::view::{Failed, UiError};
use crate::state::AppState;

/// A task as the pages show it.
#[derive(Debug, Serialize)]
pub struct TaskRow {
    id: i64,
    account: String,
    kind: String,
    assignee: String,
    note: String,
    items: String,
    due_on: String,
    state: String,
    outcome: String,
    outcome_note: String,
}

impl From<relance_engine::store::tasks::TaskRow> for TaskRow {
    fn from(t: relance_engine::store::tasks::TaskRow) -> Self {
        TaskRow {
            id: t.id,
            account: t.account,
            kind: t.kind,
            assignee: t.assignee.unwrap_or_default(),
            note: t.note.unwrap_or_default(),
            items: t.items.join(", "),
            due_on: t.due_on,
            state: t.state,
            outcome: t.outcome.unwrap_or_default(),
            outcome_note: t.outcome_note.unwrap_or_default(),
        }
    }
}

/// My open tasks due on `date` or before.
pub async fn mine(
    state: &AppState,
    email: &str,
    date: NaiveDate,
) -> Result<Vec<TaskRow>, StoreError> {
    let day = date.format("%Y-%m-%d").to_string();
    let found = tasks::list(
        state.store(),
        &TaskFilter {
            assignee: Some(email.to_string()),
            state: Some(OPEN.into()),
            ..TaskFilter::default()
        },
    )
    .await?;
    Ok(found
        .into_iter()
        .filter(|t| t.due_on <= day)
        .map(TaskRow::from)
        .collect())
}

/// Every task of an account, open ones first, newest first.
pub async fn of_account(state: &AppState, account: &str) -> Result<Vec<TaskRow>, StoreError> {
    let mut found = tasks::list(
        state.store(),
        &TaskFilter {
            account: Some(account.to_string()),
            ..TaskFilter::default()
        },
    )
    .await?;
    found.sort_by_key(|t| (t.state != OPEN, std::cmp::Reverse(t.id)));
    Ok(found.into_iter().map(TaskRow::from).collect())
}

/// An outcome of the select.
#[derive(Debug, Serialize)]
pub struct Outcome {
    value: &'static str,
    label: &'static str,
}

/// The outcomes the form offers, in `lang`.
pub fn outcomes(lang: Lang) -> Vec<Outcome> {
    [
        ("reached", "outcome_reached"),
        ("no_answer", "outcome_no_answer"),
        ("promise", "outcome_promise"),
        ("dispute", "outcome_dispute"),
        ("wrong_contact", "outcome_wrong_contact"),
        ("other", "outcome_other"),
    ]
    .into_iter()
    .map(|(value, key)| Outcome {
        value,
        label: lang.text(key),
    })
    .collect()
}

/// The complete-task form.
#[derive(Debug, Deserialize)]
pub struct Complete {
    /// The outcome word.
    #[serde(default)]
    outcome: String,
    /// Free text.
    #[serde(default)]
    note: String,
    /// `YYYY-MM-DD` or empty.
    #[serde(default)]
    promise_date: String,
}

/// `POST /ui/tasks/{id}/done`: the task done with its outcome, by `ui:<email>`.
pub async fn complete(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(lang): Extension<Lang>,
    Path(id): Path<i64>,
    Form(form): Form<Complete>,
) -> Result<Response, Failed> {
    let planner = state.planner();
    let stamp = stamp(&planner, &session);
    let promise_date = form_date(&form.promise_date).map_err(|e| Failed(e, lang))?;
    let completion = Completion {
        outcome: form.outcome.clone(),
        note: Some(form.note.clone()),
        promise_date,
    };
    let task = tasks::done(state.store(), &planner.config, id, &completion, &stamp)
        .await
        .map_err(|e| {
            Failed(
                match e {
                    TaskError::Store(e) => e.into(),
                    TaskError::Unknown(_) => UiError::NotFound(e.to_string()),
                    other => UiError::BadRequest(other.to_string()),
                },
                lang,
            )
        })?;
    Ok(back_to(&task.account, &format!("#task-{id}")))
}
