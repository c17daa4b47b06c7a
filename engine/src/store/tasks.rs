//! Owns the `tasks` table: the to-dos steps give colleagues
//! (docs/reference/planning.md "Tasks"). A task is opened once per
//! `(action, position)`, in the transaction that records (or approves) its
//! action; it is closed once, `done` with an outcome or `cancelled`, by an
//! update that only moves an `open` task, so two people completing it at once
//! complete it once. Every change has a history line.

use sqlx::{AssertSqlSafe, Row as _};

use super::history::{self, HistoryEvent};
use super::{Params, StoreError, Tx, and_equal, on_tx, statement};

/// A task still open.
pub const OPEN: &str = "open";
/// A task someone completed.
pub const DONE: &str = "done";
/// A task nobody needs to do any more: every covered item was paid.
pub const CANCELLED: &str = "cancelled";

/// A task to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// The action whose step it comes from.
    pub action: i64,
    /// Its place among its step's tasks (0 for the first).
    pub position: i64,
    /// The account.
    pub account: String,
    /// `call`, `visit`...
    pub kind: String,
    /// The colleague's address, `None` when unassigned.
    pub assignee: Option<String>,
    /// The step's note.
    pub note: Option<String>,
    /// The covered items, `CUSTOMER/REFERENCE`.
    pub items: Vec<String>,
    /// When it is due (the run date, ISO).
    pub due_on: String,
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    /// Its id.
    pub id: i64,
    /// The action whose step it comes from.
    pub action: i64,
    /// The account.
    pub account: String,
    /// `call`, `visit`...
    pub kind: String,
    /// The colleague's address, `None` when unassigned.
    pub assignee: Option<String>,
    /// The step's note.
    pub note: Option<String>,
    /// The covered items, `CUSTOMER/REFERENCE`.
    pub items: Vec<String>,
    /// When it is due (ISO).
    pub due_on: String,
    /// `open`, `done` or `cancelled`.
    pub state: String,
    /// What came of it (`reached`, `promise`...), once done.
    pub outcome: Option<String>,
    /// The free note given with the outcome.
    pub outcome_note: Option<String>,
    /// The promised payment date given with the outcome.
    pub promise_date: Option<String>,
    /// When it was done or cancelled (RFC 3339).
    pub closed_at: Option<String>,
    /// Who did it or cancelled it (`cli`, `api:<token>`, `ui:<email>`, `run:<id>`).
    pub closed_by: Option<String>,
    /// When it was opened (RFC 3339).
    pub created_at: String,
    /// Who opened it.
    pub origin: String,
    /// The step it comes from.
    pub step: String,
    /// The scenario of that step.
    pub scenario: String,
}

const TASK_COLUMNS: &str = "t.id, t.action, t.account, t.kind, t.assignee, t.note, t.items, \
     t.due_on, t.state, t.outcome, t.outcome_note, t.promise_date, t.closed_at, t.closed_by, \
     t.created_at, t.origin, a.step, a.scenario";

const FROM: &str = "FROM tasks t JOIN actions a ON a.id = t.action";

macro_rules! task_row {
    ($r:expr) => {{
        let assignee: String = $r.try_get(4)?;
        let items: String = $r.try_get(6)?;
        Ok::<_, sqlx::Error>(TaskRow {
            id: $r.try_get(0)?,
            action: $r.try_get(1)?,
            account: $r.try_get(2)?,
            kind: $r.try_get(3)?,
            assignee: (!assignee.is_empty()).then_some(assignee),
            note: $r.try_get(5)?,
            items: serde_json::from_str(&items).unwrap_or_default(),
            due_on: $r.try_get(7)?,
            state: $r.try_get(8)?,
            outcome: $r.try_get(9)?,
            outcome_note: $r.try_get(10)?,
            promise_date: $r.try_get(11)?,
            closed_at: $r.try_get(12)?,
            closed_by: $r.try_get(13)?,
            created_at: $r.try_get(14)?,
            origin: $r.try_get(15)?,
            step: $r.try_get(16)?,
            scenario: $r.try_get(17)?,
        })
    }};
}

/// Opens tasks, each once by `(action, position)`; returns the ids of those
/// opened now with what they are (a task already open is left as it is),
/// with a `task_opened` history line for each.
pub async fn open(
    tx: &mut Tx,
    tasks: &[NewTask],
    now: &str,
    origin: &str,
) -> Result<Vec<(i64, NewTask)>, StoreError> {
    let mut opened = Vec::new();
    for batch in tasks.chunks(500) {
        let mut params = Params::new(tx);
        let mut sql = String::from(
            "INSERT INTO tasks (action, position, account, kind, assignee, note, items, due_on, \
             state, created_at, origin) VALUES ",
        );
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            params.list(&mut sql, 11);
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (action, position) DO NOTHING RETURNING id, action, position");
        let inserted: Vec<(i64, i64, i64)> = on_tx!(tx, c => async {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for t in batch {
                q = q
                    .bind(t.action)
                    .bind(t.position)
                    .bind(t.account.clone())
                    .bind(t.kind.clone())
                    .bind(t.assignee.clone().unwrap_or_default())
                    .bind(t.note.clone())
                    .bind(serde_json::to_string(&t.items).unwrap_or_else(|_| "[]".into()))
                    .bind(t.due_on.clone())
                    .bind(OPEN)
                    .bind(now)
                    .bind(origin);
            }
            let rows = q.fetch_all(&mut **c).await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)
        .map_err(StoreError::query("opening tasks"))?;
        let mut events = Vec::new();
        for (id, action, position) in inserted {
            let Some(t) = batch
                .iter()
                .find(|t| t.action == action && t.position == position)
            else {
                continue;
            };
            opened.push((id, t.clone()));
            events.push(HistoryEvent {
                at: now.to_string(),
                kind: "task_opened".into(),
                customer: Some(t.account.clone()),
                reference: None,
                origin: origin.to_string(),
                data: serde_json::json!({
                    "id": id, "action": t.action, "kind": t.kind, "assignee": t.assignee,
                    "note": t.note, "items": t.items, "due_on": t.due_on,
                })
                .to_string(),
            });
        }
        history::append_history(tx, &events).await?;
    }
    Ok(opened)
}

/// Which tasks to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// Only assigned to this address (`Some("")`: only unassigned ones).
    pub assignee: Option<String>,
    /// Only in this state.
    pub state: Option<String>,
    /// Only due on this date (ISO).
    pub due_on: Option<String>,
    /// Only of this account.
    pub account: Option<String>,
    /// Only with an id above this one (the cursor).
    pub after: i64,
    /// At most this many.
    pub limit: u32,
}

/// A page of tasks in id order.
pub async fn list(tx: &mut Tx, filter: &TaskFilter) -> Result<Vec<TaskRow>, StoreError> {
    let mut template = format!("SELECT {TASK_COLUMNS} {FROM} WHERE t.id > ?");
    let binds = and_equal(
        &mut template,
        &[
            ("t.assignee", &filter.assignee),
            ("t.state", &filter.state),
            ("t.due_on", &filter.due_on),
            ("t.account", &filter.account),
        ],
    );
    template.push_str(&format!(" ORDER BY t.id LIMIT {}", filter.limit));
    let sql = statement(tx, &template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(filter.after);
        for b in &binds {
            q = q.bind(b.clone());
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter().map(|r| task_row!(r)).collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("listing tasks"))
}

/// One task, `None` when there is no such id.
pub async fn task(tx: &mut Tx, id: i64) -> Result<Option<TaskRow>, StoreError> {
    let sql = statement(tx, &format!("SELECT {TASK_COLUMNS} {FROM} WHERE t.id = ?"));
    on_tx!(tx, c => async {
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **c).await?;
        row.as_ref().map(|r| task_row!(r)).transpose()
    }
    .await)
    .map_err(StoreError::query("reading a task"))
}

/// The tasks of actions, in id order (what `GET /actions` shows of a step's tasks).
pub async fn of_actions(tx: &mut Tx, actions: &[i64]) -> Result<Vec<TaskRow>, StoreError> {
    let mut out = Vec::new();
    for batch in actions.chunks(1000) {
        let mut params = Params::new(tx);
        let mut sql = format!("SELECT {TASK_COLUMNS} {FROM} WHERE t.action IN (");
        params.list(&mut sql, batch.len());
        sql.push_str(") ORDER BY t.id");
        let rows = on_tx!(tx, c => async {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in batch {
                q = q.bind(*id);
            }
            let rows = q.fetch_all(&mut **c).await?;
            rows.iter().map(|r| task_row!(r)).collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)
        .map_err(StoreError::query("reading the tasks of actions"))?;
        out.extend(rows);
    }
    Ok(out)
}

/// The open tasks of these accounts.
pub async fn open_of(tx: &mut Tx, accounts: &[String]) -> Result<Vec<TaskRow>, StoreError> {
    let mut out = Vec::new();
    for batch in accounts.chunks(1000) {
        let mut params = Params::new(tx);
        let mut sql = format!("SELECT {TASK_COLUMNS} {FROM} WHERE t.state = ");
        params.push(&mut sql);
        sql.push_str(" AND t.account IN (");
        params.list(&mut sql, batch.len());
        sql.push_str(") ORDER BY t.id");
        let rows = on_tx!(tx, c => async {
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(OPEN);
            for a in batch {
                q = q.bind(a.clone());
            }
            let rows = q.fetch_all(&mut **c).await?;
            rows.iter().map(|r| task_row!(r)).collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)
        .map_err(StoreError::query("reading open tasks"))?;
        out.extend(rows);
    }
    Ok(out)
}

/// How a task is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    /// `done` or `cancelled`.
    pub state: &'static str,
    /// What came of it.
    pub outcome: Option<String>,
    /// The free note.
    pub note: Option<String>,
    /// The promised payment date (ISO).
    pub promise_date: Option<String>,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub by: String,
}

/// Closes an open task, with a `task_done` or `task_cancelled` history line;
/// returns whether it did (`false`: it was not open).
pub async fn close(tx: &mut Tx, task: &TaskRow, closing: &Closing) -> Result<bool, StoreError> {
    let sql = statement(
        tx,
        "UPDATE tasks SET state = ?, outcome = ?, outcome_note = ?, promise_date = ?, \
         closed_at = ?, closed_by = ? WHERE id = ? AND state = ?",
    );
    let moved = on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql))
        .bind(closing.state)
        .bind(closing.outcome.clone())
        .bind(closing.note.clone())
        .bind(closing.promise_date.clone())
        .bind(closing.at.clone())
        .bind(closing.by.clone())
        .bind(task.id)
        .bind(OPEN)
        .execute(&mut **c)
        .await
        .map(|done| done.rows_affected() == 1))
    .map_err(StoreError::query("closing a task"))?;
    if moved {
        let event = HistoryEvent {
            at: closing.at.clone(),
            kind: format!("task_{}", closing.state),
            customer: Some(task.account.clone()),
            reference: None,
            origin: closing.by.clone(),
            data: serde_json::json!({
                "id": task.id, "kind": task.kind, "assignee": task.assignee,
                "outcome": closing.outcome, "note": closing.note,
                "promise_date": closing.promise_date, "items": task.items,
            })
            .to_string(),
        };
        history::append_history(tx, &[event]).await?;
    }
    Ok(moved)
}

/// The open tasks none of whose covered items is still open (all paid or
/// cleared): what a run cancels.
pub async fn open_with_nothing_left(tx: &mut Tx) -> Result<Vec<TaskRow>, StoreError> {
    let mut open = Vec::new();
    let mut after = 0;
    loop {
        let page = list(
            tx,
            &TaskFilter {
                state: Some(OPEN.into()),
                after,
                limit: 5000,
                ..TaskFilter::default()
            },
        )
        .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        open.extend(page);
    }
    let mut keys: Vec<(String, String)> = open
        .iter()
        .flat_map(|t| t.items.iter())
        .filter_map(|k| k.split_once('/'))
        .map(|(c, r)| (c.to_string(), r.to_string()))
        .collect();
    keys.sort();
    keys.dedup();
    let mut still_open = std::collections::HashSet::new();
    for batch in keys.chunks(2000) {
        let mut params = Params::new(tx);
        let mut sql = String::from(
            "SELECT customer, reference FROM items WHERE remaining > 0 AND (customer, reference) IN (",
        );
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            params.list(&mut sql, 2);
            sql.push(')');
        }
        sql.push(')');
        let rows: Vec<(String, String)> = on_tx!(tx, c => async {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (customer, reference) in batch {
                q = q.bind(customer.clone()).bind(reference.clone());
            }
            let rows = q.fetch_all(&mut **c).await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)
        .map_err(StoreError::query("reading the items of open tasks"))?;
        still_open.extend(rows.into_iter().map(|(c, r)| format!("{c}/{r}")));
    }
    Ok(open
        .into_iter()
        .filter(|t| !t.items.iter().any(|k| still_open.contains(k)))
        .collect())
}
