//! Delivery on the outbox, the `actions` table (docs/reference/planning.md "Execution").
//!
//! A worker [`claim`]s due actions atomically (state `sending`, with who and
//! when), sends them, and records every outcome with [`finish`]: the new
//! state, a `delivery_attempt` history line with the server's reply, and
//! `delivery_failed` alerts. A `sending` action whose claim is older than the
//! lease is claimed again (its worker died between sending and recording).
//! On PostgreSQL the claim skips rows another worker is claiming
//! (`FOR UPDATE SKIP LOCKED`); on SQLite the write lock serialises claims.

use sqlx::{AssertSqlSafe, Row as _};

use super::alerts::{self, RaisedAlert};
use super::history::{self, HistoryEvent};
use super::{Backend, Params, Store, StoreError, Tx, on_tx, statement};

/// A claimed action, as the worker needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// The action id.
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
    /// Covered items, `CUSTOMER/REFERENCE`, as recorded.
    pub items: Vec<String>,
    /// The run's payload (kinds, template, to, cc...), a JSON object.
    pub payload: String,
    /// Delivery attempts made before this claim.
    pub attempts: i64,
    /// Whether it was `sending` already: a worker died before recording
    /// the outcome of an attempt, which may have reached the server.
    pub reclaimed: bool,
}

/// What happened to a claimed action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handed over (accepted by the server, or written to the outbox).
    Sent {
        /// The server's reply or where the file went.
        reply: String,
        /// The message's Message-ID, when there was a message.
        message_id: Option<String>,
        /// Recipients left out because no server could take them
        /// (`address: why`): each is in the history line and raises
        /// `delivery_failed` on the account; the others were served.
        refused: Vec<String>,
    },
    /// Nothing to send (a task, a switch, penalties): done once recorded.
    Done,
    /// Every covered item was paid or suspended since planning.
    Cancelled {
        /// Why.
        why: String,
    },
    /// A transient failure: tried again at `at` (RFC 3339 UTC).
    Retry {
        /// The server's reply or the connection error.
        reply: String,
        /// When to try again.
        at: String,
    },
    /// A permanent failure, or the last try: `failed`, alert raised.
    Failed {
        /// The server's reply or why.
        reply: String,
    },
    /// Outside the send window: `waiting_window` until `until` (RFC 3339 UTC).
    Wait {
        /// When the window opens.
        until: String,
    },
    /// Given back unchanged (sends are held): `queued` again.
    Release,
}

/// An outcome of one claimed action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The action, as claimed.
    pub action: Claimed,
    /// What happened.
    pub outcome: Outcome,
}

/// Claims up to `limit` due actions for `worker`: `queued` or
/// `waiting_window` ones whose next attempt is due at `now`, and `sending`
/// ones claimed before `stale_before` (their worker died between sending and
/// recording). They become `sending`. `waiting_review` actions are never
/// claimed. One transaction: the write lock on SQLite, row locks skipping
/// those another worker holds on PostgreSQL.
pub async fn claim(
    store: &Store,
    worker: &str,
    now: &str,
    stale_before: &str,
    limit: usize,
) -> Result<Vec<Claimed>, StoreError> {
    let mut tx = store.begin_write().await?;
    let lock = skip_locked(&tx);
    // The first actions of each state in id order, read from the index on
    // (state, id), then the first of those. Written as one condition with
    // OR, SQLite read every queued action and sorted them all for each
    // claim (69 ms a claim with 54,000 queued, a day's sending quadratic),
    // as PostgreSQL did on statistics taken before the run. On PostgreSQL
    // each state's rows are locked as they are read, skipping those another
    // worker holds; the few locked and not taken are free again when the
    // claim commits, a moment later.
    let due = "(next_attempt_at IS NULL OR next_attempt_at <= ?)";
    let first = |state: &str, condition: &str| {
        format!(
            "SELECT id FROM (SELECT id FROM actions WHERE state = '{state}' AND {condition} \
             ORDER BY id LIMIT {limit}{lock}) AS {state}"
        )
    };
    let sql = statement(
        &tx,
        &format!(
            "SELECT id, account, scenario, step, leader, run_date, items, payload, attempts, state \
             FROM actions WHERE id IN ({} UNION ALL {} UNION ALL {}) ORDER BY id LIMIT {limit}",
            first("queued", due),
            first("waiting_window", due),
            first("sending", "claimed_at <= ?"),
        ),
    );
    let claimed: Vec<Claimed> = on_tx!(&mut tx, c => async {
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(now)
            .bind(now)
            .bind(stale_before)
            .fetch_all(&mut **c)
            .await?;
        rows.iter()
            .map(|r| {
                let items: String = r.try_get(6)?;
                let state: String = r.try_get(9)?;
                Ok(Claimed {
                    id: r.try_get(0)?,
                    account: r.try_get(1)?,
                    scenario: r.try_get(2)?,
                    step: r.try_get(3)?,
                    leader: r.try_get(4)?,
                    run_date: r.try_get(5)?,
                    items: serde_json::from_str(&items).unwrap_or_default(),
                    payload: r.try_get(7)?,
                    attempts: r
                        .try_get::<i64, _>(8)
                        .or_else(|_| r.try_get::<i32, _>(8).map(i64::from))?,
                    reclaimed: state == "sending",
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("claiming actions"))?;
    let ids: Vec<i64> = claimed.iter().map(|a| a.id).collect();
    mark_sending(&mut tx, Outbox::Actions, &ids, now, worker).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// The two outboxes: customer actions and internal messages. Both are
/// claimed and recorded the same way ([`mark_sending`], [`record_attempt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outbox {
    /// The `actions` table.
    Actions,
    /// The `internal_messages` table (`store::notices`).
    Internal,
}

impl Outbox {
    fn table(self) -> &'static str {
        match self {
            Outbox::Actions => "actions",
            Outbox::Internal => "internal_messages",
        }
    }
}

/// The row-locking clause of a claim's `SELECT`: none on SQLite (the write
/// lock serialises claims), `FOR UPDATE SKIP LOCKED` on PostgreSQL.
pub(super) fn skip_locked(tx: &Tx) -> &'static str {
    match tx.backend() {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}

/// Marks claimed rows `sending`, by `worker` at `now` (the lease runs from there).
pub(super) async fn mark_sending(
    tx: &mut Tx,
    outbox: Outbox,
    ids: &[i64],
    now: &str,
    worker: &str,
) -> Result<(), StoreError> {
    for batch in ids.chunks(5000) {
        let mut params = Params::new(tx);
        let mut sql = format!(
            "UPDATE {} SET state = 'sending', claimed_at = ",
            outbox.table()
        );
        params.push(&mut sql);
        sql.push_str(", claimed_by = ");
        params.push(&mut sql);
        sql.push_str(" WHERE id IN (");
        params.list(&mut sql, batch.len());
        sql.push(')');
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(now).bind(worker);
            for id in batch {
                q = q.bind(*id);
            }
            q.execute(&mut **c).await.map(|_| ())
        })
        .map_err(StoreError::query("claiming messages"))?;
    }
    Ok(())
}

/// Records the outcomes of claimed actions in one transaction: states,
/// attempts, a `delivery_attempt` history line each (with the reply), and a
/// `delivery_failed` alert on the account of each failed action, with the
/// notices `notify` gives for each alert raised now (not for one open
/// already). `date` is the date alerts are raised on.
pub async fn finish(
    store: &Store,
    finished: &[Finished],
    now: &str,
    date: &str,
    origin: &str,
    notify: impl Fn(&RaisedAlert) -> Vec<super::notices::NewNotice>,
) -> Result<(), StoreError> {
    if finished.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    let mut by_state: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
    let mut history = Vec::new();
    let mut failed = Vec::new();
    for f in finished {
        let a = &f.action;
        let (state, event) = match &f.outcome {
            Outcome::Sent {
                reply,
                message_id,
                refused,
            } => {
                let mut data = serde_json::json!({"id": a.id, "outcome": "sent", "reply": reply,
                    "message_id": message_id, "attempt": a.attempts + 1, "resent": a.reclaimed});
                if !refused.is_empty() {
                    data["refused"] = serde_json::json!(refused);
                    failed.push(RaisedAlert {
                        alert: "delivery_failed".into(),
                        account: a.account.clone(),
                        item: String::new(),
                        level: "high".into(),
                        detail: format!(
                            "action {} ({}/{}): sent to the other recipients; refused {}",
                            a.id,
                            a.scenario,
                            a.step,
                            refused.join("; ")
                        ),
                    });
                }
                ("sent", Some(data))
            }
            Outcome::Done => ("sent", None),
            Outcome::Cancelled { why } => (
                "cancelled",
                Some(serde_json::json!({"id": a.id, "outcome": "cancelled", "reply": why})),
            ),
            Outcome::Release => ("queued", None),
            Outcome::Retry { reply, at } => {
                update_one(&mut tx, a.id, "queued", Some(at), reply, 1).await?;
                history.push(event(a, now, origin, serde_json::json!({"id": a.id,
                    "outcome": "retry", "reply": reply, "attempt": a.attempts + 1, "next_attempt_at": at})));
                continue;
            }
            Outcome::Failed { reply } => {
                update_one(&mut tx, a.id, "failed", None, reply, 1).await?;
                history.push(event(
                    a,
                    now,
                    origin,
                    serde_json::json!({"id": a.id, "outcome": "failed", "reply": reply,
                    "attempt": a.attempts + 1}),
                ));
                failed.push(RaisedAlert {
                    alert: "delivery_failed".into(),
                    account: a.account.clone(),
                    item: String::new(),
                    level: "high".into(),
                    detail: format!("action {} ({}/{}): {reply}", a.id, a.scenario, a.step),
                });
                continue;
            }
            Outcome::Wait { until } => {
                update_one(&mut tx, a.id, "waiting_window", Some(until), "", 0).await?;
                continue;
            }
        };
        by_state.entry(state).or_default().push(a.id);
        if let Some(data) = event {
            history.push(self::event(a, now, origin, data));
        }
    }
    for (state, ids) in by_state {
        let counts = state == "sent";
        for batch in ids.chunks(5000) {
            let mut params = Params::new(&tx);
            let mut sql = String::from("UPDATE actions SET state = ");
            params.push(&mut sql);
            if counts {
                sql.push_str(", attempts = attempts + 1");
            }
            sql.push_str(", claimed_by = NULL, last_reply = NULL WHERE id IN (");
            params.list(&mut sql, batch.len());
            sql.push(')');
            on_tx!(&mut tx, c => {
                let mut q = sqlx::query(AssertSqlSafe(sql)).bind(state);
                for id in batch {
                    q = q.bind(*id);
                }
                q.execute(&mut **c).await.map(|_| ())
            })
            .map_err(StoreError::query("recording deliveries"))?;
        }
    }
    history::append_history(&mut tx, &history).await?;
    if !failed.is_empty() {
        let raised = alerts::record(&mut tx, &failed, &[], date, now, origin).await?;
        let notices: Vec<_> = raised.iter().flat_map(notify).collect();
        super::notices::record(&mut tx, &notices, now, origin).await?;
    }
    tx.commit().await
}

fn event(a: &Claimed, now: &str, origin: &str, data: serde_json::Value) -> HistoryEvent {
    HistoryEvent {
        at: now.to_string(),
        kind: "delivery_attempt".into(),
        customer: Some(a.account.clone()),
        reference: a.leader.split_once('/').map(|(_, r)| r.to_string()),
        origin: origin.to_string(),
        data: data.to_string(),
    }
}

async fn update_one(
    tx: &mut Tx,
    id: i64,
    state: &str,
    next: Option<&str>,
    reply: &str,
    attempt: i64,
) -> Result<(), StoreError> {
    record_attempt(tx, Outbox::Actions, id, state, next, reply, attempt).await
}

/// Records one attempt's outcome on an outbox row: its new state, when to
/// try again, the server's reply, `attempt` more attempts, no claim.
pub(super) async fn record_attempt(
    tx: &mut Tx,
    outbox: Outbox,
    id: i64,
    state: &str,
    next: Option<&str>,
    reply: &str,
    attempt: i64,
) -> Result<(), StoreError> {
    let sql = statement(
        tx,
        &format!(
            "UPDATE {} SET state = ?, next_attempt_at = ?, last_reply = ?, \
             attempts = attempts + ?, claimed_by = NULL WHERE id = ?",
            outbox.table()
        ),
    );
    let reply = (!reply.is_empty()).then(|| reply.to_string());
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql))
        .bind(state)
        .bind(next)
        .bind(reply)
        .bind(attempt as i32)
        .bind(id)
        .execute(&mut **c)
        .await
        .map(|_| ()))
    .map_err(StoreError::query("recording a delivery"))
}

/// The states of these actions, by id.
pub async fn states(store: &Store, ids: &[i64]) -> Result<Vec<(i64, String)>, StoreError> {
    let mut out = Vec::new();
    let mut tx = store.begin().await?;
    for batch in ids.chunks(5000) {
        let mut params = Params::new(&tx);
        let mut sql = String::from("SELECT id, state FROM actions WHERE id IN (");
        params.list(&mut sql, batch.len());
        sql.push(')');
        let rows: Vec<(i64, String)> = on_tx!(&mut tx, c => {
            let mut q = sqlx::query_as(AssertSqlSafe(sql));
            for id in batch {
                q = q.bind(*id);
            }
            q.fetch_all(&mut **c).await
        })
        .map_err(StoreError::query("reading action states"))?;
        out.extend(rows);
    }
    tx.rollback().await?;
    Ok(out)
}

/// An action left `sending`: claimed and not recorded yet. Either a worker
/// is sending it right now, or the one that claimed it died (a killed
/// `relance run` or worker); nobody sends it again before its lease ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sending {
    /// The action.
    pub id: i64,
    /// Its account.
    pub account: String,
    /// Its scenario.
    pub scenario: String,
    /// Its step.
    pub step: String,
    /// Who claimed it (`run:…:PID`, `worker:…`).
    pub claimed_by: String,
    /// When (RFC 3339 UTC): the lease runs from there.
    pub claimed_at: String,
}

/// The actions in state `sending`, oldest claim first.
pub async fn sending(store: &Store) -> Result<Vec<Sending>, StoreError> {
    let mut tx = store.begin().await?;
    type Row = (i64, String, String, String, Option<String>, Option<String>);
    let rows: Vec<Row> = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT id, account, scenario, step, claimed_by, claimed_at FROM actions \
             WHERE state = 'sending' ORDER BY claimed_at, id")
            .fetch_all(&mut **c)
            .await)
    .map_err(StoreError::query("reading the actions being sent"))?;
    tx.rollback().await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, account, scenario, step, claimed_by, claimed_at)| Sending {
                id,
                account,
                scenario,
                step,
                claimed_by: claimed_by.unwrap_or_default(),
                claimed_at: claimed_at.unwrap_or_default(),
            },
        )
        .collect())
}
