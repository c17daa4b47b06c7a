//! What a run records besides actions: alert raises and resolutions, fired
//! and ended escalations, scenario switches, and action states. Every write
//! is a multi-row statement; uniqueness lives in the database (partial unique
//! indexes on open alerts and open escalations), so two runs at the same time
//! raise an alert or fire an escalation once.

use sqlx::{AssertSqlSafe, Row as _};

use super::records::{self, HistoryEvent};
use super::{Params, StoreError, Tx, on_tx};

/// Inserts `rows` of `width` text values with `head` before the values and
/// `tail` after; returns the first column of `RETURNING` rows when `tail`
/// asks for them.
async fn insert_rows(
    tx: &mut Tx,
    head: &str,
    tail: &str,
    width: usize,
    rows: &[Vec<Option<String>>],
    what: &'static str,
) -> Result<Vec<Vec<String>>, StoreError> {
    let mut out = Vec::new();
    for batch in rows.chunks(2000) {
        let mut params = Params::new(tx);
        let mut sql = String::from(head);
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { " (" });
            params.list(&mut sql, width);
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(tail);
        let returned: Vec<Vec<String>> = on_tx!(tx, c => async {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for row in batch {
                for v in row {
                    q = q.bind(v.clone());
                }
            }
            let rows = q.fetch_all(&mut **c).await?;
            rows.iter()
                .map(|r| (0..r.len()).map(|i| r.try_get::<String, _>(i)).collect())
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)
        .map_err(StoreError::query(what))?;
        out.extend(returned);
    }
    Ok(out)
}

/// `UPDATE table SET column = value WHERE open AND (keys) IN (VALUES ...)`.
async fn close_rows(
    tx: &mut Tx,
    table: &str,
    column: &str,
    value: &str,
    keys: &[&str],
    rows: &[Vec<String>],
    what: &'static str,
) -> Result<(), StoreError> {
    for batch in rows.chunks(2000) {
        let mut params = Params::new(tx);
        let mut sql = format!("UPDATE {table} SET {column} = ");
        params.push(&mut sql);
        sql.push_str(&format!(
            " WHERE {column} IS NULL AND ({}) IN (VALUES ",
            keys.join(", ")
        ));
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            params.list(&mut sql, keys.len());
            sql.push(')');
        }
        sql.push(')');
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(value.to_string());
            for row in batch {
                for v in row {
                    q = q.bind(v.clone());
                }
            }
            q.execute(&mut **c).await.map(|_| ())
        })
        .map_err(StoreError::query(what))?;
    }
    Ok(())
}

/// An alert that starts holding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedAlert {
    /// Alert name.
    pub alert: String,
    /// The account.
    pub account: String,
    /// `CUSTOMER/REFERENCE`, or `""` for account alerts.
    pub item: String,
    /// Its level.
    pub level: String,
    /// Why it holds.
    pub detail: String,
}

/// Records raises (once: an alert already open stays one alert) and resolves
/// `(alert, account, item)` that stopped holding. Returns the raises recorded now.
pub async fn alerts(
    tx: &mut Tx,
    raised: &[RaisedAlert],
    resolved: &[(String, String, String)],
    date: &str,
    now: &str,
    origin: &str,
) -> Result<Vec<RaisedAlert>, StoreError> {
    let rows: Vec<Vec<Option<String>>> = raised
        .iter()
        .map(|a| {
            vec![
                Some(a.alert.clone()),
                Some(a.account.clone()),
                Some(a.item.clone()),
                Some(a.level.clone()),
                Some(date.to_string()),
                Some(a.detail.clone()),
                Some(origin.to_string()),
            ]
        })
        .collect();
    let inserted = insert_rows(
        tx,
        "INSERT INTO alerts (alert, account, item, level, raised_on, detail, origin) VALUES",
        "ON CONFLICT (account, alert, item) WHERE resolved_on IS NULL DO NOTHING RETURNING alert, account, item",
        7,
        &rows,
        "raising alerts",
    )
    .await?;
    let new: Vec<RaisedAlert> = raised
        .iter()
        .filter(|a| {
            inserted
                .iter()
                .any(|r| r[0] == a.alert && r[1] == a.account && r[2] == a.item)
        })
        .cloned()
        .collect();
    let keys: Vec<Vec<String>> = resolved
        .iter()
        .map(|(alert, account, item)| vec![account.clone(), alert.clone(), item.clone()])
        .collect();
    close_rows(
        tx,
        "alerts",
        "resolved_on",
        date,
        &["account", "alert", "item"],
        &keys,
        "resolving alerts",
    )
    .await?;
    let mut history: Vec<HistoryEvent> = new
        .iter()
        .map(|a| HistoryEvent {
            at: now.to_string(),
            kind: "alert_raised".into(),
            customer: Some(a.account.clone()),
            reference: a.item.split_once('/').map(|(_, r)| r.to_string()),
            origin: origin.to_string(),
            data: serde_json::json!({"alert": a.alert, "item": a.item, "level": a.level, "why": a.detail})
                .to_string(),
        })
        .collect();
    history.extend(resolved.iter().map(|(alert, account, item)| HistoryEvent {
        at: now.to_string(),
        kind: "alert_resolved".into(),
        customer: Some(account.clone()),
        reference: item.split_once('/').map(|(_, r)| r.to_string()),
        origin: origin.to_string(),
        data: serde_json::json!({"alert": alert, "item": item}).to_string(),
    }));
    records::append_history(tx, &history).await?;
    Ok(new)
}

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
pub async fn escalations(
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
    record_switches(tx, &switches, origin).await?;
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
    records::append_history(tx, &history).await?;
    Ok(new)
}

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
pub async fn record_switches(
    tx: &mut Tx,
    switches: &[Switch],
    origin: &str,
) -> Result<(), StoreError> {
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

/// Sets the state of actions, many per statement.
pub async fn set_states(tx: &mut Tx, state: &str, ids: &[i64]) -> Result<(), StoreError> {
    for batch in ids.chunks(5000) {
        let mut params = Params::new(tx);
        let mut sql = String::from("UPDATE actions SET state = ");
        params.push(&mut sql);
        sql.push_str(" WHERE id IN (");
        params.list(&mut sql, batch.len());
        sql.push(')');
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(state.to_string());
            for id in batch {
                q = q.bind(*id);
            }
            q.execute(&mut **c).await.map(|_| ())
        })
        .map_err(StoreError::query("updating action states"))?;
    }
    Ok(())
}
