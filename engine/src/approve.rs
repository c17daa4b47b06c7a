//! Approving and rejecting `review` actions: `relance approve`, `relance
//! reject`, `POST /actions/{id}/approve` and `POST /actions/{id}/reject`.
//! An action of a step in `review` mode is recorded `waiting_review`;
//! approving it makes it `queued`, so the worker delivers it like any other;
//! rejecting it makes it `rejected`, which nothing ever sends. An approved
//! step's tasks open when it is approved, due that day, and their
//! assignees hear of them in their next digest. Anything else
//! cannot be approved or rejected. Both are in the history with who did it
//! (and, for a rejection, why).

use crate::status::ChangeStamp;
use crate::store::history::{self, HistoryEvent};
use crate::store::{Store, StoreError, actions, customers, notices, tasks};

/// The state of an action waiting for a person.
pub const WAITING_REVIEW: &str = "waiting_review";
/// The state an approved action moves to.
pub const QUEUED: &str = "queued";
/// The state a rejected action moves to: final, never sent.
pub const REJECTED: &str = "rejected";

/// Why an approval was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    /// No action has this id.
    #[error("no action {0}")]
    Unknown(i64),
    /// The action is not waiting for review.
    #[error(
        "action {id} is {state}, not waiting_review: only review actions waiting for review can be {verb}"
    )]
    NotWaiting {
        /// The action.
        id: i64,
        /// Its state.
        state: String,
        /// `approved` or `rejected`.
        verb: &'static str,
    },
    /// A rejection without a reason.
    #[error("a rejection needs a reason (--reason TEXT)")]
    NoReason,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An approved or rejected action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    /// Its id.
    pub id: i64,
    /// Its account.
    pub account: String,
    /// Its step.
    pub step: String,
}

/// Approves actions, all or none: in one transaction, each must be
/// `waiting_review`; the first that is not refuses the whole call. Each
/// approval is written to the history with `stamp`'s origin.
pub async fn approve(
    store: &Store,
    ids: &[i64],
    stamp: &ChangeStamp,
) -> Result<Vec<Approved>, ApproveError> {
    decide(store, ids, stamp, Decision::Approve).await
}

/// The ids of the actions waiting for review, oldest first: all of them,
/// or those of `account` and/or of `step` (`relance approve --all`).
pub async fn waiting(
    store: &Store,
    account: Option<&str>,
    step: Option<&str>,
) -> Result<Vec<i64>, StoreError> {
    let mut tx = store.begin().await?;
    let mut ids = Vec::new();
    let mut after = 0;
    loop {
        let filter = actions::ActionFilter {
            state: Some(WAITING_REVIEW.into()),
            account: account.map(str::to_string),
            run_date: None,
            after,
            limit: 1000,
        };
        let page = actions::list(&mut tx, &filter).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        ids.extend(
            page.iter()
                .filter(|a| step.is_none_or(|s| a.step == s))
                .map(|a| a.id),
        );
    }
    tx.rollback().await?;
    Ok(ids)
}

/// Rejects actions, all or none, as [`approve`] approves them: each moves
/// from `waiting_review` to `rejected` and is never sent; the history keeps
/// `reason` and who rejected it.
pub async fn reject(
    store: &Store,
    ids: &[i64],
    reason: &str,
    stamp: &ChangeStamp,
) -> Result<Vec<Approved>, ApproveError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ApproveError::NoReason);
    }
    decide(store, ids, stamp, Decision::Reject(reason)).await
}

/// What a person decided of a review action.
#[derive(Debug, Clone, Copy)]
enum Decision<'a> {
    Approve,
    Reject(&'a str),
}

async fn decide(
    store: &Store,
    ids: &[i64],
    stamp: &ChangeStamp,
    decision: Decision<'_>,
) -> Result<Vec<Approved>, ApproveError> {
    let (to, verb, kind) = match decision {
        Decision::Approve => (QUEUED, "approved", "action_approved"),
        Decision::Reject(_) => (REJECTED, "rejected", "action_rejected"),
    };
    let mut tx = store.begin_write().await?;
    let mut approved = Vec::new();
    let mut history = Vec::new();
    let mut new_tasks = Vec::new();
    for &id in ids {
        let Some(action) = actions::action(&mut tx, id).await? else {
            tx.rollback().await?;
            return Err(ApproveError::Unknown(id));
        };
        if !actions::move_action(&mut tx, id, WAITING_REVIEW, to).await? {
            tx.rollback().await?;
            return Err(ApproveError::NotWaiting {
                id,
                state: action.state,
                verb,
            });
        }
        let mut data =
            serde_json::json!({"id": id, "scenario": action.scenario, "step": action.step});
        match decision {
            Decision::Reject(reason) => data["reason"] = reason.into(),
            // An approved step's tasks open now, due today.
            Decision::Approve => {
                new_tasks.extend(crate::tasks::of_payload(&action, &stamp.today.to_string()))
            }
        }
        history.push(HistoryEvent {
            at: stamp.now.clone(),
            kind: kind.into(),
            customer: Some(action.account.clone()),
            reference: action.leader.split_once('/').map(|(_, r)| r.to_string()),
            origin: stamp.origin.clone(),
            data: data.to_string(),
        });
        approved.push(Approved {
            id,
            account: action.account,
            step: action.step,
        });
    }
    history::append_history(&mut tx, &history).await?;
    let opened = tasks::open(&mut tx, &new_tasks, &stamp.now, &stamp.origin).await?;
    // Each assignee hears of their task in their next digest
    // (docs/reference/planning.md "Notifications").
    let mut told = Vec::new();
    for (id, task) in &opened {
        let Some(assignee) = &task.assignee else {
            continue;
        };
        let (customer, colleague) = customers::names(&mut tx, &task.account, assignee).await?;
        // The link is made again from the settings when the digest is sent.
        let link = relance_dsl::model::account_link(None, &task.account);
        told.push(crate::notify::task_notice(
            *id, task, assignee, link, customer, colleague,
        ));
    }
    notices::record(&mut tx, &told, &stamp.now, &stamp.origin).await?;
    tx.commit().await?;
    Ok(approved)
}
