//! Qualifying items by hand: `relance status set/clear` and, later, the API.
//! Each change is recorded in the history with who made it.

use chrono::NaiveDate;
use relance_dsl::diagnostic::closest;
use relance_dsl::model::{Config, StatusEffect};

use crate::store::history::{self, HistoryEvent};
use crate::store::items::{self, ItemStatus};
use crate::store::{Store, StoreError, Tx};

/// A status to give an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatus {
    /// A status of the configuration.
    pub status: String,
    /// The promised payment date, for statuses that suspend until it.
    pub promise_date: Option<NaiveDate>,
    /// Free text (a dispute's reason).
    pub comment: Option<String>,
}

/// Why a status change was refused.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The item is not in the store.
    #[error("no item {0} in the store")]
    UnknownItem(String),
    /// The status is not in the configuration.
    #[error("status \"{name}\" is not a status of the configuration{hint}")]
    UnknownStatus {
        /// The name given.
        name: String,
        /// ` (did you mean ...)` or the list.
        hint: String,
    },
    /// The status suspends until the promise date, which was not given.
    #[error("status \"{0}\" needs a promise date (--date YYYY-MM-DD)")]
    NeedsDate(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// When and by whom a change is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeStamp {
    /// The date of the change (in the platform timezone).
    pub today: NaiveDate,
    /// The instant, RFC 3339 UTC.
    pub now: String,
    /// Who: `cli`, `api:<token name>`.
    pub origin: String,
}

/// Gives an item a status; returns the previous one.
pub async fn set(
    store: &Store,
    config: &Config,
    item: (&str, &str),
    new: &NewStatus,
    stamp: &ChangeStamp,
) -> Result<ItemStatus, StatusError> {
    check(config, new)?;
    let mut tx = store.begin_write().await?;
    let previous = set_in(&mut tx, item, new, stamp).await?;
    tx.commit().await?;
    Ok(previous)
}

/// Whether `new` is a status of the configuration with what it needs (a
/// promise date for a status that suspends until it).
pub fn check(config: &Config, new: &NewStatus) -> Result<(), StatusError> {
    let Some(def) = config.statuses.get(&new.status) else {
        let hint = closest(&new.status, config.statuses.keys().map(String::as_str))
            .map(|c| format!(" (did you mean \"{c}\"?)"))
            .unwrap_or_else(|| {
                format!(
                    " (statuses: {})",
                    config
                        .statuses
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
        return Err(StatusError::UnknownStatus {
            name: new.status.clone(),
            hint,
        });
    };
    let needs_date = matches!(&def.effect, StatusEffect::Suspends(Some(until))
        if until.reads("item", "promise_date"));
    if needs_date && new.promise_date.is_none() {
        return Err(StatusError::NeedsDate(new.status.clone()));
    }
    Ok(())
}

/// [`set`] inside a transaction of the caller's, `new` already [`check`]ed.
pub async fn set_in(
    tx: &mut Tx,
    item: (&str, &str),
    new: &NewStatus,
    stamp: &ChangeStamp,
) -> Result<ItemStatus, StatusError> {
    change_in(tx, item, stamp, "status_set", |previous| {
        let since = if previous.status.as_deref() == Some(new.status.as_str()) {
            previous.status_since.clone()
        } else {
            Some(stamp.today.format("%Y-%m-%d").to_string())
        };
        let next = ItemStatus {
            status: Some(new.status.clone()),
            status_since: since,
            promise_date: new.promise_date.map(|d| d.format("%Y-%m-%d").to_string()),
            comment: new.comment.clone(),
        };
        let data = serde_json::json!({
            "status": next.status,
            "promise_date": next.promise_date,
            "comment": next.comment,
            "previous": previous.status,
        });
        (next, data)
    })
    .await
}

/// Removes an item's status (and its promise date and comment); returns the previous one.
pub async fn clear(
    store: &Store,
    item: (&str, &str),
    comment: Option<&str>,
    stamp: &ChangeStamp,
) -> Result<ItemStatus, StatusError> {
    change(store, item, stamp, "status_cleared", |previous| {
        let cleared = ItemStatus {
            status: None,
            status_since: None,
            promise_date: None,
            comment: None,
        };
        (
            cleared,
            serde_json::json!({ "previous": previous.status, "comment": comment }),
        )
    })
    .await
}

/// Reads an item's status, writes the one `next` makes of it and a history
/// line of `kind` with `next`'s data, in one transaction; returns the previous status.
async fn change(
    store: &Store,
    item: (&str, &str),
    stamp: &ChangeStamp,
    kind: &str,
    next: impl FnOnce(&ItemStatus) -> (ItemStatus, serde_json::Value),
) -> Result<ItemStatus, StatusError> {
    // Read then write: take SQLite's write lock first, so concurrent changes
    // wait for each other instead of failing on a stale snapshot.
    let mut tx = store.begin_write().await?;
    let previous = change_in(&mut tx, item, stamp, kind, next).await?;
    tx.commit().await?;
    Ok(previous)
}

async fn change_in(
    tx: &mut Tx,
    (customer, reference): (&str, &str),
    stamp: &ChangeStamp,
    kind: &str,
    next: impl FnOnce(&ItemStatus) -> (ItemStatus, serde_json::Value),
) -> Result<ItemStatus, StatusError> {
    let previous = items::item_status(tx, customer, reference)
        .await?
        .ok_or_else(|| StatusError::UnknownItem(format!("{customer}/{reference}")))?;
    let (status, mut data) = next(&previous);
    // The day the change counts for (reports date dispute episodes by it).
    if let Some(object) = data.as_object_mut() {
        object.insert(
            "on".into(),
            stamp.today.format("%Y-%m-%d").to_string().into(),
        );
    }
    items::set_item_status(tx, customer, reference, &status).await?;
    let event = HistoryEvent {
        at: stamp.now.clone(),
        kind: kind.to_string(),
        customer: Some(customer.to_string()),
        reference: Some(reference.to_string()),
        origin: stamp.origin.clone(),
        data: data.to_string(),
    };
    history::append_history(tx, &[event]).await?;
    Ok(previous)
}
