//! The `switches` table: changes of scenario, in the order they take effect.

use super::{StoreError, Tx, insert_rows};

/// A change of scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switch {
    /// The account.
    pub account: String,
    /// The new scenario.
    pub scenario: String,
    /// From when (ISO date).
    pub effective_on: String,
    /// `escalation:<name>` or `step:<scenario>/<step>`.
    pub cause: String,
}

/// Records scenario switches.
pub async fn record(tx: &mut Tx, switches: &[Switch], origin: &str) -> Result<(), StoreError> {
    let rows: Vec<Vec<Option<String>>> = switches
        .iter()
        .map(|s| {
            vec![
                Some(s.account.clone()),
                Some(s.scenario.clone()),
                Some(s.effective_on.clone()),
                Some(s.cause.clone()),
                Some(origin.to_string()),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "INSERT INTO switches (account, scenario, effective_on, cause, origin) VALUES",
        "",
        5,
        &rows,
        "recording switches",
    )
    .await?;
    Ok(())
}
