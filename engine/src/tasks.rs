//! The colleagues' tasks (docs/reference/planning.md "Tasks"): `relance
//! tasks`, `relance task done`, `GET /tasks`, `POST /tasks/{id}/done` and the
//! workspace all go through here.
//!
//! A step's `task` opens a task when its action is recorded (a `review`
//! step's when it is approved), assigned to the colleague the planner
//! resolved, due on the run date. A person completes it with an outcome;
//! an outcome named like a status of the configuration (`promise`,
//! `dispute`) gives the covered items that status in the same transaction.
//! A run cancels the open tasks whose covered items were all paid.

use chrono::NaiveDate;
use relance_dsl::model::Config;
use relance_planner::{ItemKey, PlannedTask};

use crate::status::{self, ChangeStamp, NewStatus, StatusError};
use crate::store::actions::ActionRow;
use crate::store::tasks::{self, Closing, NewTask, TaskFilter, TaskRow};
use crate::store::{Store, StoreError};

/// Outcomes people pick most; any other word is accepted too.
pub const OUTCOMES: &[&str] = &[
    "reached",
    "no_answer",
    "promise",
    "dispute",
    "wrong_contact",
];

/// The tasks a recorded action opens.
pub fn to_open(
    action: i64,
    account: &str,
    items: &[ItemKey],
    due_on: &str,
    planned: &[PlannedTask],
) -> Vec<NewTask> {
    planned
        .iter()
        .enumerate()
        .map(|(position, t)| NewTask {
            action,
            position: position as i64,
            account: account.to_string(),
            kind: t.kind.clone(),
            assignee: t.assignee.clone(),
            note: t.note.clone(),
            items: items.iter().map(ItemKey::to_string).collect(),
            due_on: due_on.to_string(),
        })
        .collect()
}

/// The tasks a stored action opens (an approved review action's), from the
/// tasks its run wrote into its payload.
pub fn of_payload(action: &ActionRow, due_on: &str) -> Vec<NewTask> {
    #[derive(serde::Deserialize)]
    struct Payload {
        #[serde(default)]
        tasks: Vec<PlannedTask>,
    }
    let planned = serde_json::from_str::<Payload>(&action.payload)
        .map(|p| p.tasks)
        .unwrap_or_default();
    let items: Vec<ItemKey> = serde_json::from_str::<Vec<String>>(&action.items)
        .unwrap_or_default()
        .iter()
        .filter_map(|k| ItemKey::parse(k))
        .collect();
    to_open(action.id, &action.account, &items, due_on, &planned)
}

/// Every task `filter` selects (its `after` and `limit` are ignored), in id order.
pub async fn list(store: &Store, filter: &TaskFilter) -> Result<Vec<TaskRow>, StoreError> {
    let mut tx = store.begin().await?;
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = tasks::list(
            &mut tx,
            &TaskFilter {
                after,
                limit: 1000,
                ..filter.clone()
            },
        )
        .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        all.extend(page);
    }
    tx.rollback().await?;
    Ok(all)
}

/// What a person says of a task they did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// `reached`, `no_answer`, `promise`, `dispute`, `wrong_contact` or any word.
    pub outcome: String,
    /// Free text.
    pub note: Option<String>,
    /// The date the customer promised to pay, with outcome `promise`.
    pub promise_date: Option<NaiveDate>,
}

/// Why a task could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// No task has this id.
    #[error("no task {0}")]
    Unknown(i64),
    /// The task is done or cancelled already.
    #[error("task {id} is {state}, not open: only an open task can be completed")]
    NotOpen {
        /// The task.
        id: i64,
        /// Its state.
        state: String,
    },
    /// The outcome is not a word.
    #[error(
        "outcome \"{0}\" is not a word: use reached, no_answer, promise, dispute, wrong_contact or another word of letters, digits and _"
    )]
    BadOutcome(String),
    /// A promise date with another outcome.
    #[error("a promise date goes with the outcome promise, not {0}")]
    DateWithoutPromise(String),
    /// A promise date before today.
    #[error("the promised payment date {date} is before today ({today})")]
    PastPromise {
        /// The date given.
        date: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
    /// Outcome `promise` without the date the status needs.
    #[error(
        "outcome {0} needs the promised payment date (--promise-date, or promise_date in the API): status {0} suspends until it"
    )]
    NeedsPromiseDate(String),
    /// The covered items' status could not be set.
    #[error("outcome {outcome}: {source}")]
    Status {
        /// The outcome.
        outcome: String,
        /// Why.
        #[source]
        source: StatusError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether `outcome` is a word an outcome can be: a lowercase letter, then
/// lowercase letters, digits and `_`, at most 40.
pub fn is_outcome(outcome: &str) -> bool {
    let mut chars = outcome.chars();
    outcome.len() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Completes an open task: `done` with its outcome, note and promise date,
/// by `stamp`'s origin. When the configuration has a status named like the
/// outcome (`promise`, `dispute`), each covered item gets it in the same
/// transaction (the note as its comment, the promise date as its date).
/// All or nothing; everything is in the history.
pub async fn done(
    store: &Store,
    config: &Config,
    id: i64,
    completion: &Completion,
    stamp: &ChangeStamp,
) -> Result<TaskRow, TaskError> {
    let outcome = completion.outcome.trim().to_lowercase();
    if !is_outcome(&outcome) {
        return Err(TaskError::BadOutcome(completion.outcome.clone()));
    }
    let note = completion
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    if let Some(date) = completion.promise_date {
        if outcome != "promise" {
            return Err(TaskError::DateWithoutPromise(outcome));
        }
        if date < stamp.today {
            return Err(TaskError::PastPromise {
                date,
                today: stamp.today,
            });
        }
    }
    let status = config.statuses.contains_key(&outcome).then(|| NewStatus {
        status: outcome.clone(),
        promise_date: completion.promise_date,
        comment: note.clone(),
    });
    if let Some(status) = &status {
        status::check(config, status).map_err(|source| match source {
            StatusError::NeedsDate(_) => TaskError::NeedsPromiseDate(outcome.clone()),
            source => TaskError::Status {
                outcome: outcome.clone(),
                source,
            },
        })?;
    }

    let mut tx = store.begin_write().await?;
    let Some(task) = tasks::task(&mut tx, id).await? else {
        tx.rollback().await?;
        return Err(TaskError::Unknown(id));
    };
    let closing = Closing {
        state: tasks::DONE,
        outcome: Some(outcome.clone()),
        note,
        promise_date: completion.promise_date.map(|d| d.to_string()),
        at: stamp.now.clone(),
        by: stamp.origin.clone(),
    };
    if !tasks::close(&mut tx, &task, &closing).await? {
        tx.rollback().await?;
        return Err(TaskError::NotOpen {
            id,
            state: task.state,
        });
    }
    if let Some(status) = &status {
        for key in &task.items {
            let Some((customer, reference)) = key.split_once('/') else {
                continue;
            };
            if let Err(source) = status::set_in(&mut tx, (customer, reference), status, stamp).await
            {
                tx.rollback().await?;
                return Err(TaskError::Status { outcome, source });
            }
        }
    }
    let task = tasks::task(&mut tx, id)
        .await?
        .ok_or(TaskError::Unknown(id))?;
    tx.commit().await?;
    Ok(task)
}

/// Cancels the open tasks none of whose covered items is still open (every
/// one paid); returns their ids.
pub async fn cancel_paid(store: &Store, now: &str, origin: &str) -> Result<Vec<i64>, StoreError> {
    let mut tx = store.begin_write().await?;
    let paid = tasks::open_with_nothing_left(&mut tx).await?;
    let mut cancelled = Vec::new();
    for task in &paid {
        let closing = Closing {
            state: tasks::CANCELLED,
            outcome: None,
            note: Some("every covered item was paid".into()),
            promise_date: None,
            at: now.to_string(),
            by: origin.to_string(),
        };
        if tasks::close(&mut tx, task, &closing).await? {
            cancelled.push(task.id);
        }
    }
    tx.commit().await?;
    Ok(cancelled)
}
