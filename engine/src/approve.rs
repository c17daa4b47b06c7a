//! Approving `review` actions: `relance approve` and `POST
//! /actions/{id}/approve`. An action of a step in `review` mode is recorded
//! `waiting_review`; approving it makes it `queued`, so the worker delivers
//! it like any other. Anything else cannot be approved.

use crate::status::ChangeStamp;
use crate::store::history::{self, HistoryEvent};
use crate::store::{Store, StoreError, actions};

/// The state of an action waiting for a person.
pub const WAITING_REVIEW: &str = "waiting_review";
/// The state an approved action moves to.
pub const QUEUED: &str = "queued";

/// Why an approval was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    /// No action has this id.
    #[error("no action {0}")]
    Unknown(i64),
    /// The action is not waiting for review.
    #[error(
        "action {id} is {state}, not waiting_review: only review actions waiting for review can be approved"
    )]
    NotWaiting {
        /// The action.
        id: i64,
        /// Its state.
        state: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An approved action.
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
    let mut tx = store.begin_write().await?;
    let mut approved = Vec::new();
    let mut history = Vec::new();
    for &id in ids {
        let Some(action) = actions::action(&mut tx, id).await? else {
            tx.rollback().await?;
            return Err(ApproveError::Unknown(id));
        };
        if !actions::move_action(&mut tx, id, WAITING_REVIEW, QUEUED).await? {
            tx.rollback().await?;
            return Err(ApproveError::NotWaiting {
                id,
                state: action.state,
            });
        }
        history.push(HistoryEvent {
            at: stamp.now.clone(),
            kind: "action_approved".into(),
            customer: Some(action.account.clone()),
            reference: action.leader.split_once('/').map(|(_, r)| r.to_string()),
            origin: stamp.origin.clone(),
            data: serde_json::json!({"id": id, "scenario": action.scenario, "step": action.step})
                .to_string(),
        });
        approved.push(Approved {
            id,
            account: action.account,
            step: action.step,
        });
    }
    history::append_history(&mut tx, &history).await?;
    tx.commit().await?;
    Ok(approved)
}
