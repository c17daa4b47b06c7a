//! Notes on an account: a line of free text a colleague writes, kept in
//! the history as an `account_note` event of the account's leader.

use crate::status::ChangeStamp;
use crate::store::history::{self, HistoryEvent};
use crate::store::{Store, StoreError, customers};

/// The longest note kept, in bytes.
pub const MAX_NOTE: usize = 4000;

/// Why a note was refused.
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    /// No customer has this code.
    #[error("no customer {0}")]
    UnknownAccount(String),
    /// The note is empty or too long.
    #[error("a note has 1 to {MAX_NOTE} bytes of text")]
    Text,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Adds a note to an account's history (kind `account_note`, data
/// `{"note": text}`, origin the stamp's).
pub async fn add(
    store: &Store,
    account: &str,
    text: &str,
    stamp: &ChangeStamp,
) -> Result<(), NoteError> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_NOTE {
        return Err(NoteError::Text);
    }
    let mut tx = store.begin_write().await?;
    if customers::group_leader(&mut tx, account).await?.is_none() {
        return Err(NoteError::UnknownAccount(account.to_string()));
    }
    let event = HistoryEvent {
        at: stamp.now.clone(),
        kind: "account_note".into(),
        customer: Some(account.to_string()),
        reference: None,
        origin: stamp.origin.clone(),
        data: serde_json::json!({ "note": text }).to_string(),
    };
    history::append_history(&mut tx, &[event]).await?;
    tx.commit().await?;
    Ok(())
}
