//! Recording actions exactly once (docs/reference/planning.md "Execution"): the unique key
//! `(account, scenario, step, leader)` decides, in the database, whether an
//! action is new; only new actions move their covered items' `last_step`
//! and get a history line, in the same transaction. Two runs at the same
//! time record each action once, whichever commits first.
//!
//! Owns the `actions` table (and the `last_step`s of `item_steps` that new
//! actions move): recording, the emails and letters sent, pages of actions
//! in id order after a cursor (`id > after`, so a page costs the same
//! wherever it is), approvals and states. Delivery on it is
//! [`super::outbox`].

use relance_planner::ItemKey;
use sqlx::{AssertSqlSafe, Row as _};

use super::history::{self, HistoryEvent};
use super::{Params, StoreError, Tx, and_equal, on_tx, statement};

/// An action decided by a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    /// The account (its leader's code).
    pub account: String,
    /// The scenario.
    pub scenario: String,
    /// The step.
    pub step: String,
    /// The leader item.
    pub leader: ItemKey,
    /// The run date (ISO).
    pub run_date: String,
    /// The step's trigger date for the leader (ISO).
    pub planned_for: String,
    /// Initial state: `queued`, `waiting_review`, ...
    pub state: String,
    /// The covered items.
    pub items: Vec<ItemKey>,
    /// The covered items whose `last_step` moves to this step (it never moves back).
    pub advance: Vec<ItemKey>,
    /// Everything else the worker needs, a JSON object.
    pub payload: String,
}

/// Records actions; returns, for each, its id when it was recorded now and
/// `None` when it already existed (nothing is changed for those).
pub async fn record(
    tx: &mut Tx,
    actions: &[NewAction],
    now: &str,
    origin: &str,
) -> Result<Vec<Option<i64>>, StoreError> {
    let mut ids = vec![None; actions.len()];
    for (chunk_no, batch) in actions.chunks(1000).enumerate() {
        let mut params = Params::new(tx);
        let mut sql = String::from(
            "INSERT INTO actions (account, scenario, step, leader, run_date, planned_for, state, items, \
             payload, created_at, origin) VALUES ",
        );
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            params.list(&mut sql, 11);
            sql.push(')');
        }
        sql.push_str(
            " ON CONFLICT (account, scenario, step, leader) DO NOTHING \
             RETURNING id, account, scenario, step, leader",
        );
        let inserted: Vec<(i64, String, String, String, String)> = on_tx!(tx, c => async {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for a in batch {
                let items: Vec<String> = a.items.iter().map(ItemKey::to_string).collect();
                q = q
                    .bind(a.account.clone())
                    .bind(a.scenario.clone())
                    .bind(a.step.clone())
                    .bind(a.leader.to_string())
                    .bind(a.run_date.clone())
                    .bind(a.planned_for.clone())
                    .bind(a.state.clone())
                    .bind(serde_json::to_string(&items).unwrap_or_else(|_| "[]".into()))
                    .bind(a.payload.clone())
                    .bind(now)
                    .bind(origin);
            }
            let rows = q.fetch_all(&mut **c).await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)
        .map_err(StoreError::query("recording actions"))?;

        let mut steps: Vec<[String; 4]> = Vec::new();
        let mut history = Vec::new();
        // Each action's place in the batch by its unique key.
        let leaders: Vec<String> = batch.iter().map(|a| a.leader.to_string()).collect();
        let place: std::collections::HashMap<(&str, &str, &str, &str), usize> = batch
            .iter()
            .zip(&leaders)
            .enumerate()
            .map(|(i, (a, leader))| {
                (
                    (
                        a.account.as_str(),
                        a.scenario.as_str(),
                        a.step.as_str(),
                        leader.as_str(),
                    ),
                    i,
                )
            })
            .collect();
        for (id, account, scenario, step, leader) in inserted {
            let Some(&pos) = place.get(&(
                account.as_str(),
                scenario.as_str(),
                step.as_str(),
                leader.as_str(),
            )) else {
                continue;
            };
            ids[chunk_no * 1000 + pos] = Some(id);
            let a = &batch[pos];
            for key in &a.advance {
                steps.push([
                    key.customer.clone(),
                    key.reference.clone(),
                    a.scenario.clone(),
                    a.step.clone(),
                ]);
            }
            history.push(HistoryEvent {
                at: now.to_string(),
                kind: "action_recorded".into(),
                customer: Some(a.account.clone()),
                reference: Some(a.leader.reference.clone()),
                origin: origin.to_string(),
                data: serde_json::json!({
                    "id": id, "scenario": a.scenario, "step": a.step, "run_date": a.run_date,
                    "items": a.items.iter().map(ItemKey::to_string).collect::<Vec<_>>(),
                })
                .to_string(),
            });
        }
        set_steps(tx, &steps).await?;
        history::append_history(tx, &history).await?;
    }
    Ok(ids)
}

/// `last_step` of items per scenario: `[customer, reference, scenario, step]`.
async fn set_steps(tx: &mut Tx, steps: &[[String; 4]]) -> Result<(), StoreError> {
    for batch in steps.chunks(5000) {
        let mut params = Params::new(tx);
        let mut sql =
            String::from("INSERT INTO item_steps (customer, reference, scenario, step) VALUES ");
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            params.list(&mut sql, 4);
            sql.push(')');
        }
        sql.push_str(
            " ON CONFLICT (customer, reference, scenario) DO UPDATE SET step = excluded.step",
        );
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for row in batch {
                for v in row {
                    q = q.bind(v.clone());
                }
            }
            q.execute(&mut **c).await.map(|_| ())
        })
        .map_err(StoreError::query("recording last steps"))?;
    }
    Ok(())
}

/// An email or letter that went out to an account (`actions` in state
/// `sent` whose step emails or prints), for the templates' `previous`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The scenario.
    pub scenario: String,
    /// The step.
    pub step: String,
    /// The run date (ISO), the day it went out.
    pub run_date: String,
    /// `email` and/or `letter`, in the step's order (from the payload).
    pub kinds: Vec<String>,
}

/// The emails and letters sent to these accounts, per account, oldest first
/// (by run date, then id). Accounts are read by lists of at most 1000 codes.
pub async fn sent(
    tx: &mut Tx,
    accounts: &[String],
) -> Result<std::collections::HashMap<String, Vec<Sent>>, StoreError> {
    #[derive(serde::Deserialize, Default)]
    struct Payload {
        #[serde(default)]
        kinds: Vec<String>,
        #[serde(default)]
        to: Vec<String>,
    }
    let mut out: std::collections::HashMap<String, Vec<Sent>> = Default::default();
    for batch in accounts.chunks(1000) {
        let mut params = Params::new(tx);
        // Every action of the accounts, by the index on `account`, the
        // state checked here: with `state = 'sent'` in the condition, SQLite
        // read every sent action of the store through the index on `state`
        // for each batch, more as the day's sending went on (0.1 ms at
        // first, 25 ms at the end of a day of 42,000 emails).
        let mut sql = String::from(
            "SELECT account, scenario, step, run_date, \
             CASE WHEN state = 'sent' THEN payload END FROM actions WHERE account IN (",
        );
        params.list(&mut sql, batch.len());
        sql.push_str(") ORDER BY account, run_date, id");
        let rows: Vec<(String, String, String, String, Option<String>)> = on_tx!(tx, c => async {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for code in batch {
                q = q.bind(code.clone());
            }
            let rows = q.fetch_all(&mut **c).await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)
        .map_err(StoreError::query("reading the emails and letters sent"))?;
        for (account, scenario, step, run_date, payload) in rows {
            // Not sent.
            let Some(payload) = payload else { continue };
            // A payload that does not parse names no email or letter; an
            // email step without recipients sent no email.
            let payload = serde_json::from_str::<Payload>(&payload).unwrap_or_default();
            let kinds: Vec<String> = payload
                .kinds
                .into_iter()
                .filter(|k| k == "letter" || (k == "email" && !payload.to.is_empty()))
                .collect();
            if kinds.is_empty() {
                continue;
            }
            out.entry(account).or_default().push(Sent {
                scenario,
                step,
                run_date,
                kinds,
            });
        }
    }
    Ok(out)
}

/// An action as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRow {
    /// Its id.
    pub id: i64,
    /// The account.
    pub account: String,
    /// The scenario.
    pub scenario: String,
    /// The step.
    pub step: String,
    /// The leader, `CUSTOMER/REFERENCE`.
    pub leader: String,
    /// The run date (ISO).
    pub run_date: String,
    /// The step's trigger date for the leader (ISO).
    pub planned_for: String,
    /// `queued`, `waiting_window`, `waiting_review`, `sent`, `failed`, `cancelled`.
    pub state: String,
    /// Covered items, a JSON array of `CUSTOMER/REFERENCE`.
    pub items: String,
    /// What the worker needs, a JSON object.
    pub payload: String,
    /// When it was recorded (RFC 3339).
    pub created_at: String,
    /// Who recorded it (`run:<id>`...).
    pub origin: String,
}

const ACTION_COLUMNS: &str = "id, account, scenario, step, leader, run_date, planned_for, state, \
                              items, payload, created_at, origin";

/// Which actions to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFilter {
    /// Only in this state.
    pub state: Option<String>,
    /// Only of this account.
    pub account: Option<String>,
    /// Only decided for this run date (ISO).
    pub run_date: Option<String>,
    /// Only with an id above this one (the cursor).
    pub after: i64,
    /// At most this many.
    pub limit: u32,
}

/// Reads an [`ActionRow`] from a row of `SELECT ACTION_COLUMNS` (a macro:
/// the row types of the two backends share no trait worth naming here).
macro_rules! action_row {
    ($r:expr) => {
        Ok::<_, sqlx::Error>(ActionRow {
            id: $r.try_get(0)?,
            account: $r.try_get(1)?,
            scenario: $r.try_get(2)?,
            step: $r.try_get(3)?,
            leader: $r.try_get(4)?,
            run_date: $r.try_get(5)?,
            planned_for: $r.try_get(6)?,
            state: $r.try_get(7)?,
            items: $r.try_get(8)?,
            payload: $r.try_get(9)?,
            created_at: $r.try_get(10)?,
            origin: $r.try_get(11)?,
        })
    };
}

/// A page of actions in id order.
pub async fn list(tx: &mut Tx, filter: &ActionFilter) -> Result<Vec<ActionRow>, StoreError> {
    let mut template = format!("SELECT {ACTION_COLUMNS} FROM actions WHERE id > ?");
    let binds = and_equal(
        &mut template,
        &[
            ("state", &filter.state),
            ("account", &filter.account),
            ("run_date", &filter.run_date),
        ],
    );
    template.push_str(&format!(" ORDER BY id LIMIT {}", filter.limit));
    let sql = statement(tx, &template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(filter.after);
        for b in &binds {
            q = q.bind(b.clone());
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter().map(|r| action_row!(r)).collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("listing actions"))
}

/// One action, `None` when there is no such id.
pub async fn action(tx: &mut Tx, id: i64) -> Result<Option<ActionRow>, StoreError> {
    let sql = statement(
        tx,
        &format!("SELECT {ACTION_COLUMNS} FROM actions WHERE id = ?"),
    );
    on_tx!(tx, c => async {
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **c).await?;
        row.as_ref().map(|r| action_row!(r)).transpose()
    }
    .await)
    .map_err(StoreError::query("reading an action"))
}

/// Moves an action from `from` to `to` when it is in `from`; returns whether
/// it did (the check and the change are one statement, so two approvals at
/// once approve it once).
pub async fn move_action(tx: &mut Tx, id: i64, from: &str, to: &str) -> Result<bool, StoreError> {
    let sql = statement(
        tx,
        "UPDATE actions SET state = ? WHERE id = ? AND state = ?",
    );
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql)).bind(to).bind(id).bind(from).execute(&mut **c).await
        .map(|done| done.rows_affected() == 1))
        .map_err(StoreError::query("updating an action"))
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

/// Actions in `state` of these accounts, in id order, at most `limit` (the
/// workspace's reviews waiting for a colleague).
pub async fn in_state_on(
    tx: &mut Tx,
    state: &str,
    accounts: &[String],
    limit: u32,
) -> Result<Vec<ActionRow>, StoreError> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let template = format!(
        "SELECT {ACTION_COLUMNS} FROM actions WHERE state = ? AND account IN ({}) \
         ORDER BY id LIMIT {limit}",
        vec!["?"; accounts.len()].join(", ")
    );
    let sql = statement(tx, &template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(state);
        for a in accounts {
            q = q.bind(a.clone());
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter().map(|r| action_row!(r)).collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("listing actions"))
}
