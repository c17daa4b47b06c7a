//! The `escalations` table: fired escalations (once while they hold, a
//! partial unique index on open ones) with their scenario switches, and
//! their ends.

use super::history::{self, HistoryEvent};
use super::switches::{self, Switch};
use super::{StoreError, Tx, close_rows, insert_rows};

/// An escalation that fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredEscalation {
    /// Escalation name.
    pub escalation: String,
    /// The account.
    pub account: String,
    /// The scenario it switches the account to today, when it does.
    pub switch: Option<String>,
}

/// Records fired escalations (once while they hold) with their switches, and
/// ends `(escalation, account)` that stopped holding. Returns those recorded now.
pub async fn record(
    tx: &mut Tx,
    fired: &[FiredEscalation],
    ended: &[(String, String)],
    date: &str,
    now: &str,
    origin: &str,
) -> Result<Vec<FiredEscalation>, StoreError> {
    let rows: Vec<Vec<Option<String>>> = fired
        .iter()
        .map(|e| {
            vec![
                Some(e.escalation.clone()),
                Some(e.account.clone()),
                Some(date.to_string()),
                e.switch.clone(),
                Some(origin.to_string()),
            ]
        })
        .collect();
    let inserted = insert_rows(
        tx,
        "INSERT INTO escalations (escalation, account, fired_on, switch, origin) VALUES",
        "ON CONFLICT (account, escalation) WHERE ended_on IS NULL DO NOTHING RETURNING escalation, account",
        5,
        &rows,
        "recording escalations",
    )
    .await?;
    let new: Vec<FiredEscalation> = fired
        .iter()
        .filter(|e| {
            inserted
                .iter()
                .any(|r| r[0] == e.escalation && r[1] == e.account)
        })
        .cloned()
        .collect();
    let switches: Vec<Switch> = new
        .iter()
        .filter_map(|e| {
            e.switch.as_ref().map(|s| Switch {
                account: e.account.clone(),
                scenario: s.clone(),
                effective_on: date.to_string(),
                cause: format!("escalation:{}", e.escalation),
            })
        })
        .collect();
    switches::record(tx, &switches, origin).await?;
    let keys: Vec<Vec<String>> = ended
        .iter()
        .map(|(escalation, account)| vec![account.clone(), escalation.clone()])
        .collect();
    close_rows(
        tx,
        "escalations",
        "ended_on",
        date,
        &["account", "escalation"],
        &keys,
        "ending escalations",
    )
    .await?;
    let history: Vec<HistoryEvent> = new
        .iter()
        .map(|e| HistoryEvent {
            at: now.to_string(),
            kind: "escalation".into(),
            customer: Some(e.account.clone()),
            reference: None,
            origin: origin.to_string(),
            data: serde_json::json!({"escalation": e.escalation, "switch": e.switch}).to_string(),
        })
        .collect();
    history::append_history(tx, &history).await?;
    Ok(new)
}
