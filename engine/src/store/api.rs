//! What the admin API reads and writes beyond the planner's facts: pages of
//! actions and alerts, approvals, an account's history, the runs the API
//! starts (`api_runs`), and the aggregates behind reports and metrics.
//!
//! Lists are pages in id order after a cursor (`id > after`), so a page costs
//! the same wherever it is in a large table.

use sqlx::{AssertSqlSafe, Row as _};

use super::records::{HistoryEvent, statement};
use super::{StoreError, Tx, on_tx};

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
pub async fn actions(tx: &mut Tx, filter: &ActionFilter) -> Result<Vec<ActionRow>, StoreError> {
    let mut template = format!("SELECT {ACTION_COLUMNS} FROM actions WHERE id > ?");
    let mut binds = Vec::new();
    for (column, value) in [
        ("state", &filter.state),
        ("account", &filter.account),
        ("run_date", &filter.run_date),
    ] {
        if let Some(v) = value {
            template.push_str(&format!(" AND {column} = ?"));
            binds.push(v.clone());
        }
    }
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

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    /// Its id.
    pub id: i64,
    /// The alert's name.
    pub alert: String,
    /// The account.
    pub account: String,
    /// `CUSTOMER/REFERENCE`, `""` for account alerts.
    pub item: String,
    /// `low`, `medium`, `high`.
    pub level: String,
    /// The run date it was raised on.
    pub raised_on: String,
    /// The run date it was resolved on, if it was.
    pub resolved_on: Option<String>,
    /// Why it holds.
    pub detail: String,
    /// Who raised it.
    pub origin: String,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// `Some(true)`: open only; `Some(false)`: resolved only.
    pub open: Option<bool>,
    /// Only of this account.
    pub account: Option<String>,
    /// Only this alert.
    pub alert: Option<String>,
    /// Only with an id above this one (the cursor).
    pub after: i64,
    /// At most this many.
    pub limit: u32,
}

/// A page of alerts in id order.
pub async fn alerts(tx: &mut Tx, filter: &AlertFilter) -> Result<Vec<AlertRow>, StoreError> {
    let mut template = String::from(
        "SELECT id, alert, account, item, level, raised_on, resolved_on, detail, origin \
         FROM alerts WHERE id > ?",
    );
    match filter.open {
        Some(true) => template.push_str(" AND resolved_on IS NULL"),
        Some(false) => template.push_str(" AND resolved_on IS NOT NULL"),
        None => {}
    }
    let mut binds = Vec::new();
    for (column, value) in [("account", &filter.account), ("alert", &filter.alert)] {
        if let Some(v) = value {
            template.push_str(&format!(" AND {column} = ?"));
            binds.push(v.clone());
        }
    }
    template.push_str(&format!(" ORDER BY id LIMIT {}", filter.limit));
    let sql = statement(tx, &template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(filter.after);
        for b in &binds {
            q = q.bind(b.clone());
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| {
                Ok(AlertRow {
                    id: r.try_get(0)?,
                    alert: r.try_get(1)?,
                    account: r.try_get(2)?,
                    item: r.try_get(3)?,
                    level: r.try_get(4)?,
                    raised_on: r.try_get(5)?,
                    resolved_on: r.try_get(6)?,
                    detail: r.try_get(7)?,
                    origin: r.try_get(8)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("listing alerts"))
}

/// A customer's group leader: `None` when the customer does not exist,
/// `Some(None)` when it is not grouped.
pub async fn group_leader(tx: &mut Tx, code: &str) -> Result<Option<Option<String>>, StoreError> {
    let sql = statement(tx, "SELECT group_leader FROM customers WHERE code = ?");
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql)).bind(code).fetch_optional(&mut **c).await)
        .map_err(StoreError::query("reading a customer"))
}

/// Of these codes, those that are no collection account (unknown, or
/// collected through a group leader), in the order given.
pub async fn not_accounts(tx: &mut Tx, codes: &[String]) -> Result<Vec<String>, StoreError> {
    let mut missing = Vec::new();
    for batch in codes.chunks(1000) {
        let template = format!(
            "SELECT code FROM customers WHERE group_leader IS NULL AND code IN ({})",
            vec!["?"; batch.len()].join(", ")
        );
        let sql = statement(tx, &template);
        let found: Vec<String> = on_tx!(tx, c => {
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql));
            for code in batch {
                q = q.bind(code.clone());
            }
            q.fetch_all(&mut **c).await
        })
        .map_err(StoreError::query("reading customers"))?;
        missing.extend(batch.iter().filter(|c| !found.contains(c)).cloned());
    }
    Ok(missing)
}

/// The latest `limit` history lines of these customers (their items
/// included), newest first.
pub async fn latest_history(
    tx: &mut Tx,
    customers: &[String],
    limit: u32,
) -> Result<Vec<HistoryEvent>, StoreError> {
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let template = format!(
        "SELECT at, kind, customer, reference, origin, data FROM history \
         WHERE customer IN ({}) ORDER BY id DESC LIMIT {limit}",
        vec!["?"; customers.len()].join(", ")
    );
    let sql = statement(tx, &template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for code in customers {
            q = q.bind(code.clone());
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| {
                Ok(HistoryEvent {
                    at: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    customer: r.try_get(2)?,
                    reference: r.try_get(3)?,
                    origin: r.try_get(4)?,
                    data: r.try_get(5)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("reading history"))
}

/// A run started through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// Its id; its actions' origin is `run:<id>`.
    pub id: i64,
    /// When it was asked for (RFC 3339).
    pub requested_at: String,
    /// Who asked (`api:<token name>`).
    pub requested_by: String,
    /// The request, a JSON object.
    pub request: String,
    /// `queued`, `running`, `done`, `failed`.
    pub state: String,
    /// When it started.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// Records a run request in state `queued`; returns its id.
pub async fn insert_run(
    tx: &mut Tx,
    requested_at: &str,
    requested_by: &str,
    request: &str,
) -> Result<i64, StoreError> {
    let sql = statement(
        tx,
        "INSERT INTO api_runs (requested_at, requested_by, request, state) \
         VALUES (?, ?, ?, 'queued') RETURNING id",
    );
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(requested_at)
        .bind(requested_by)
        .bind(request)
        .fetch_one(&mut **c)
        .await)
    .map_err(StoreError::query("recording a run"))
}

/// Moves a run to `state`: `running` sets `started_at`, `done` and `failed`
/// set `finished_at` (and `error`).
pub async fn set_run_state(
    tx: &mut Tx,
    id: i64,
    state: &str,
    at: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let column = if state == "running" {
        "started_at"
    } else {
        "finished_at"
    };
    let sql = statement(
        tx,
        &format!("UPDATE api_runs SET state = ?, {column} = ?, error = ? WHERE id = ?"),
    );
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql))
        .bind(state)
        .bind(at)
        .bind(error)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))
    .map_err(StoreError::query("updating a run"))
}

/// Runs still `queued` or `running` become `failed` with `reason` (a
/// restarted server has lost them); returns how many.
pub async fn fail_unfinished(tx: &mut Tx, at: &str, reason: &str) -> Result<u64, StoreError> {
    let sql = statement(
        tx,
        "UPDATE api_runs SET state = 'failed', finished_at = ?, error = ? \
         WHERE state IN ('queued', 'running')",
    );
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql)).bind(at).bind(reason).execute(&mut **c).await
        .map(|done| done.rows_affected()))
    .map_err(StoreError::query("updating runs"))
}

/// One run, `None` when there is no such id.
pub async fn run(tx: &mut Tx, id: i64) -> Result<Option<RunRow>, StoreError> {
    let sql = statement(
        tx,
        "SELECT id, requested_at, requested_by, request, state, started_at, finished_at, error \
         FROM api_runs WHERE id = ?",
    );
    on_tx!(tx, c => async {
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **c).await?;
        row.map(|r| {
            Ok(RunRow {
                id: r.try_get(0)?,
                requested_at: r.try_get(1)?,
                requested_by: r.try_get(2)?,
                request: r.try_get(3)?,
                state: r.try_get(4)?,
                started_at: r.try_get(5)?,
                finished_at: r.try_get(6)?,
                error: r.try_get(7)?,
            })
        })
        .transpose()
    }
    .await)
    .map_err(StoreError::query("reading a run"))
}

/// `(key, count)` rows of a `SELECT key, COUNT(*) ... GROUP BY key`.
async fn counts(
    tx: &mut Tx,
    template: &str,
    bind: Option<&str>,
    what: &'static str,
) -> Result<Vec<(String, i64)>, StoreError> {
    let sql = statement(tx, template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        if let Some(b) = bind {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query(what))
}

/// Actions recorded with this origin, counted by state.
pub async fn action_states_of(tx: &mut Tx, origin: &str) -> Result<Vec<(String, i64)>, StoreError> {
    counts(
        tx,
        "SELECT state, COUNT(*) FROM actions WHERE origin = ? GROUP BY state",
        Some(origin),
        "counting a run's actions",
    )
    .await
}

/// Every action, counted by state.
pub async fn action_states(tx: &mut Tx) -> Result<Vec<(String, i64)>, StoreError> {
    counts(
        tx,
        "SELECT state, COUNT(*) FROM actions GROUP BY state",
        None,
        "counting actions",
    )
    .await
}

/// API runs, counted by state.
pub async fn run_states(tx: &mut Tx) -> Result<Vec<(String, i64)>, StoreError> {
    counts(
        tx,
        "SELECT state, COUNT(*) FROM api_runs GROUP BY state",
        None,
        "counting runs",
    )
    .await
}

/// Open alerts, counted by level.
pub async fn open_alert_levels(tx: &mut Tx) -> Result<Vec<(String, i64)>, StoreError> {
    counts(
        tx,
        "SELECT level, COUNT(*) FROM alerts WHERE resolved_on IS NULL GROUP BY level",
        None,
        "counting alerts",
    )
    .await
}

/// Open debit amounts (invoices and debit notes with something remaining)
/// summed per group: `(group, currency, remaining in minor units, items)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSum {
    /// The group: an aging bucket or a status (`None`: no status).
    pub group: Option<String>,
    /// The items' currency.
    pub currency: String,
    /// Sum of remaining, minor units of `currency`.
    pub remaining: i64,
    /// How many items.
    pub items: i64,
}

async fn open_sums(
    tx: &mut Tx,
    group: &str,
    binds: &[String],
    what: &'static str,
) -> Result<Vec<OpenSum>, StoreError> {
    let template = format!(
        "SELECT g, currency, CAST(SUM(remaining) AS BIGINT), COUNT(*) FROM \
         (SELECT {group} AS g, currency, remaining FROM items \
          WHERE remaining > 0 AND type IN ('invoice', 'debit_note')) t \
         GROUP BY g, currency ORDER BY g, currency"
    );
    let sql = statement(tx, &template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b.clone());
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| {
                Ok(OpenSum {
                    group: r.try_get(0)?,
                    currency: r.try_get(1)?,
                    remaining: r.try_get(2)?,
                    items: r.try_get(3)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query(what))
}

/// Open debit amounts by aging bucket on a date: given the ISO dates `today`,
/// `today - 30`, `today - 60` and `today - 90`, the groups are `not_due`
/// (due today or later), `1-30`, `31-60`, `61-90` and `over_90` days overdue.
pub async fn aging(tx: &mut Tx, bounds: [String; 4]) -> Result<Vec<OpenSum>, StoreError> {
    open_sums(
        tx,
        "CASE WHEN due_date >= ? THEN 'not_due' WHEN due_date >= ? THEN '1-30' \
         WHEN due_date >= ? THEN '31-60' WHEN due_date >= ? THEN '61-90' ELSE 'over_90' END",
        &bounds,
        "summing open items by age",
    )
    .await
}

/// Open debit amounts by item status (`None`: no status).
pub async fn by_status(tx: &mut Tx) -> Result<Vec<OpenSum>, StoreError> {
    open_sums(tx, "status", &[], "summing open items by status").await
}
