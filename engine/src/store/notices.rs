//! Owns the `notices` and `internal_messages` tables: internal notifications
//! (docs/reference/planning.md "Notifications").
//!
//! A notice is what one colleague is told about one thing (a task, a review,
//! an alert raised or resolved, an escalation, a `notify` step), recorded
//! once by `(colleague, kind, subject)` in the run's transaction. An
//! internal message carries notices to a colleague: an `immediate` one per
//! alert notified at once (created with its notice), a `digest` per
//! colleague per day (created once by `(colleague, day)` after a run).
//! Which notices a digest carries is decided when it is first claimed: every
//! notice of its colleague not carried yet joins it, in the claim's
//! transaction, by an update that only takes notices without a message; a
//! digest claimed again (a retry, a dead worker's lease) carries the same
//! ones. A notice recorded after its colleague's digest of the day was
//! claimed waits for the next day's. Nothing decides by reading first.

use sqlx::{AssertSqlSafe, Row as _};

use super::history::{self, HistoryEvent};
use super::outbox::{self, Outbox};
use super::{Params, Store, StoreError, Tx, on_tx, statement};

/// A digest: the day's notices of one colleague.
pub const DIGEST: &str = "digest";
/// An immediate message: one alert notified at once.
pub const IMMEDIATE: &str = "immediate";

/// A notice to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    /// The colleague's address.
    pub colleague: String,
    /// The account it is about.
    pub account: String,
    /// `task`, `review`, `alert_raised`, `alert_resolved`, `escalation`,
    /// `notify` or `customer_answer`.
    pub kind: String,
    /// What it is about, stable across runs (a task id, `alert|account|item|day`...):
    /// the same thing told twice is one notice.
    pub subject: String,
    /// The alert's level, for alerts.
    pub level: Option<String>,
    /// What the templates show, a JSON object.
    pub entry: String,
    /// Whether it goes out at once in a message of its own.
    pub immediate: bool,
    /// The day it is recorded for (ISO).
    pub created_on: String,
}

/// What [`record`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Notices recorded now (the others were recorded before).
    pub notices: usize,
    /// Immediate messages created now.
    pub immediate: usize,
}

/// Records notices, each once by `(colleague, kind, subject)`; an immediate
/// one recorded now gets its own internal message in the same transaction.
pub async fn record(
    tx: &mut Tx,
    notices: &[NewNotice],
    now: &str,
    origin: &str,
) -> Result<Recorded, StoreError> {
    let mut done = Recorded::default();
    for batch in notices.chunks(500) {
        let mut params = Params::new(tx);
        let mut sql = String::from(
            "INSERT INTO notices (colleague, account, kind, subject, level, entry, immediate, \
             created_on, created_at, origin) VALUES ",
        );
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            params.list(&mut sql, 10);
            sql.push(')');
        }
        sql.push_str(
            " ON CONFLICT (colleague, kind, subject) DO NOTHING \
             RETURNING id, colleague, kind, subject, immediate",
        );
        let inserted: Vec<(i64, String, i64)> = on_tx!(tx, c => async {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for n in batch {
                q = q
                    .bind(n.colleague.clone())
                    .bind(n.account.clone())
                    .bind(n.kind.clone())
                    .bind(n.subject.clone())
                    .bind(n.level.clone())
                    .bind(n.entry.clone())
                    .bind(i32::from(n.immediate))
                    .bind(n.created_on.clone())
                    .bind(now)
                    .bind(origin);
            }
            let rows = q.fetch_all(&mut **c).await?;
            rows.iter()
                .map(|r| {
                    let immediate = r
                        .try_get::<i64, _>(4)
                        .or_else(|_| r.try_get::<i32, _>(4).map(i64::from))?;
                    Ok((r.try_get(0)?, r.try_get(1)?, immediate))
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)
        .map_err(StoreError::query("recording notices"))?;
        done.notices += inserted.len();
        let immediate: Vec<i64> = inserted
            .into_iter()
            .filter(|(_, _, immediate)| *immediate != 0)
            .map(|(id, _, _)| id)
            .collect();
        done.immediate += open_immediate(tx, &immediate, now, origin).await?;
    }
    Ok(done)
}

/// Gives each of these new immediate notices its own internal message, in
/// two statements whatever their number; returns how many were given one.
async fn open_immediate(
    tx: &mut Tx,
    ids: &[i64],
    now: &str,
    origin: &str,
) -> Result<usize, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut params = Params::new(tx);
    let mut sql = String::from(
        "INSERT INTO internal_messages (colleague, kind, key, created_at, origin, state) \
         SELECT colleague, ",
    );
    params.push(&mut sql);
    sql.push_str(", CAST(id AS TEXT), ");
    params.push(&mut sql);
    sql.push_str(", ");
    params.push(&mut sql);
    sql.push_str(", 'queued' FROM notices WHERE id IN (");
    params.list(&mut sql, ids.len());
    sql.push_str(") ON CONFLICT (colleague, kind, key) DO NOTHING");
    on_tx!(tx, c => {
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(IMMEDIATE).bind(now).bind(origin);
        for id in ids {
            q = q.bind(*id);
        }
        q.execute(&mut **c).await.map(|_| ())
    })
    .map_err(StoreError::query("creating immediate messages"))?;

    let mut params = Params::new(tx);
    let mut sql = String::from(
        "UPDATE notices SET message = (SELECT m.id FROM internal_messages m \
         WHERE m.colleague = notices.colleague AND m.kind = ",
    );
    params.push(&mut sql);
    sql.push_str(" AND m.key = CAST(notices.id AS TEXT)) WHERE id IN (");
    params.list(&mut sql, ids.len());
    sql.push(')');
    let attached = on_tx!(tx, c => {
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(IMMEDIATE);
        for id in ids {
            q = q.bind(*id);
        }
        q.execute(&mut **c).await.map(|done| done.rows_affected())
    })
    .map_err(StoreError::query("attaching notices"))?;
    Ok(usize::try_from(attached).unwrap_or(usize::MAX))
}

/// Opens the digest of `day` of every colleague with notices waiting (not
/// carried by any message yet), once per `(colleague, day)`: a colleague
/// whose digest of the day exists already (sent or not) gets none more.
/// Returns how many were created now.
pub async fn open_digests(
    store: &Store,
    day: &str,
    now: &str,
    origin: &str,
) -> Result<usize, StoreError> {
    let mut tx = store.begin_write().await?;
    let sql = statement(
        &tx,
        "INSERT INTO internal_messages (colleague, kind, key, created_at, origin, state) \
         SELECT DISTINCT colleague, ?, ?, ?, ?, 'queued' FROM notices \
         WHERE message IS NULL AND immediate = 0 \
         ON CONFLICT (colleague, kind, key) DO NOTHING RETURNING id",
    );
    let ids: Vec<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(DIGEST)
        .bind(day)
        .bind(now)
        .bind(origin)
        .fetch_all(&mut **c)
        .await)
    .map_err(StoreError::query("opening digests"))?;
    tx.commit().await?;
    Ok(ids.len())
}

/// A notice as an internal message carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Its id.
    pub id: i64,
    /// The account.
    pub account: String,
    /// Its kind (see [`NewNotice::kind`]).
    pub kind: String,
    /// The alert's level, for alerts.
    pub level: Option<String>,
    /// What the templates show, a JSON object.
    pub entry: String,
    /// The day it was recorded for (ISO).
    pub created_on: String,
}

/// A claimed internal message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMessage {
    /// Its id (the Message-ID is derived from it).
    pub id: i64,
    /// The colleague's address.
    pub colleague: String,
    /// `digest` or `immediate`.
    pub kind: String,
    /// The day of a digest, the notice id of an immediate message.
    pub key: String,
    /// Delivery attempts made before this claim.
    pub attempts: i64,
    /// Whether it was `sending` already (a worker died mid-send).
    pub reclaimed: bool,
    /// The notices it carries, in id order.
    pub notices: Vec<Notice>,
}

/// Claims up to `limit` due internal messages for `worker`, as
/// [`outbox::claim`] claims actions: `queued` ones whose next attempt is due
/// at `now`, and `sending` ones claimed before `stale_before`. A digest
/// claimed with no notice yet takes every notice of its colleague not
/// carried by a message; then each message's notices are read.
pub async fn claim(
    store: &Store,
    worker: &str,
    now: &str,
    stale_before: &str,
    limit: usize,
) -> Result<Vec<ClaimedMessage>, StoreError> {
    let mut tx = store.begin_write().await?;
    let lock = outbox::skip_locked(&tx);
    let sql = statement(
        &tx,
        &format!(
            "SELECT id, colleague, kind, key, attempts, state FROM internal_messages \
             WHERE (state = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)) \
             OR (state = 'sending' AND claimed_at <= ?) ORDER BY id LIMIT {limit}{lock}"
        ),
    );
    let mut claimed: Vec<ClaimedMessage> = on_tx!(&mut tx, c => async {
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(now)
            .bind(stale_before)
            .fetch_all(&mut **c)
            .await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get(5)?;
                Ok(ClaimedMessage {
                    id: r.try_get(0)?,
                    colleague: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    key: r.try_get(3)?,
                    attempts: r
                        .try_get::<i64, _>(4)
                        .or_else(|_| r.try_get::<i32, _>(4).map(i64::from))?,
                    reclaimed: state == "sending",
                    notices: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("claiming internal messages"))?;
    if claimed.is_empty() {
        tx.rollback().await?;
        return Ok(claimed);
    }
    let ids: Vec<i64> = claimed.iter().map(|m| m.id).collect();
    outbox::mark_sending(&mut tx, Outbox::Internal, &ids, now, worker).await?;
    for m in &mut claimed {
        m.notices = carried(&mut tx, m.id).await?;
        if m.kind == DIGEST && m.notices.is_empty() {
            let sql = statement(
                &tx,
                "UPDATE notices SET message = ? \
                 WHERE colleague = ? AND message IS NULL AND immediate = 0",
            );
            on_tx!(&mut tx, c => sqlx::query(AssertSqlSafe(sql))
                .bind(m.id)
                .bind(m.colleague.clone())
                .execute(&mut **c)
                .await
                .map(|_| ()))
            .map_err(StoreError::query("gathering a digest"))?;
            m.notices = carried(&mut tx, m.id).await?;
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

/// The notices a message carries, in id order.
async fn carried(tx: &mut Tx, message: i64) -> Result<Vec<Notice>, StoreError> {
    let sql = statement(
        tx,
        "SELECT id, account, kind, level, entry, created_on FROM notices \
         WHERE message = ? ORDER BY id",
    );
    on_tx!(tx, c => async {
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(message).fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| {
                Ok(Notice {
                    id: r.try_get(0)?,
                    account: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    level: r.try_get(3)?,
                    entry: r.try_get(4)?,
                    created_on: r.try_get(5)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("reading the notices of a message"))
}

/// What happened to a claimed internal message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageOutcome {
    /// Handed over: `sent`.
    Sent {
        /// The server's reply or where the file went.
        reply: String,
        /// Its Message-ID.
        message_id: String,
    },
    /// It carries nothing (a digest whose notices another one took): `empty`.
    Empty,
    /// A transient failure: tried again at `at` (RFC 3339 UTC).
    Retry {
        /// The server's reply.
        reply: String,
        /// When to try again.
        at: String,
    },
    /// A permanent failure, or the last try: `failed`.
    Failed {
        /// The server's reply or why.
        reply: String,
    },
    /// Given back unchanged: `queued` again.
    Release,
}

/// Records the outcomes of claimed internal messages in one transaction:
/// states, attempts, and a `notification_attempt` history line each (with
/// the reply and the Message-ID).
pub async fn finish(
    store: &Store,
    finished: &[(ClaimedMessage, MessageOutcome)],
    now: &str,
    origin: &str,
) -> Result<(), StoreError> {
    if finished.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    let mut history = Vec::new();
    for (m, outcome) in finished {
        let attempt = m.attempts + 1;
        let data = match outcome {
            MessageOutcome::Sent { reply, message_id } => {
                let sql = statement(
                    &tx,
                    "UPDATE internal_messages SET state = 'sent', attempts = attempts + 1, \
                     claimed_by = NULL, last_reply = NULL, message_id = ?, sent_at = ? WHERE id = ?",
                );
                on_tx!(&mut tx, c => sqlx::query(AssertSqlSafe(sql))
                    .bind(message_id.clone())
                    .bind(now)
                    .bind(m.id)
                    .execute(&mut **c)
                    .await
                    .map(|_| ()))
                .map_err(StoreError::query("recording an internal message"))?;
                Some(serde_json::json!({"outcome": "sent", "reply": reply,
                    "message_id": message_id, "attempt": attempt, "resent": m.reclaimed}))
            }
            MessageOutcome::Empty => {
                outbox::record_attempt(&mut tx, Outbox::Internal, m.id, "empty", None, "", 0)
                    .await?;
                None
            }
            MessageOutcome::Retry { reply, at } => {
                outbox::record_attempt(
                    &mut tx,
                    Outbox::Internal,
                    m.id,
                    "queued",
                    Some(at),
                    reply,
                    1,
                )
                .await?;
                Some(serde_json::json!({"outcome": "retry", "reply": reply,
                    "attempt": attempt, "next_attempt_at": at}))
            }
            MessageOutcome::Failed { reply } => {
                outbox::record_attempt(&mut tx, Outbox::Internal, m.id, "failed", None, reply, 1)
                    .await?;
                Some(serde_json::json!({"outcome": "failed", "reply": reply, "attempt": attempt}))
            }
            MessageOutcome::Release => {
                outbox::record_attempt(&mut tx, Outbox::Internal, m.id, "queued", None, "", 0)
                    .await?;
                None
            }
        };
        if let Some(mut data) = data {
            data["message"] = serde_json::json!(m.id);
            data["kind"] = serde_json::json!(m.kind);
            data["colleague"] = serde_json::json!(m.colleague);
            data["notices"] = serde_json::json!(m.notices.len());
            history.push(HistoryEvent {
                at: now.to_string(),
                kind: "notification_attempt".into(),
                customer: None,
                reference: None,
                origin: origin.to_string(),
                data: data.to_string(),
            });
        }
    }
    history::append_history(&mut tx, &history).await?;
    tx.commit().await
}

/// An internal message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    /// Its id.
    pub id: i64,
    /// The colleague's address.
    pub colleague: String,
    /// `digest` or `immediate`.
    pub kind: String,
    /// The day of a digest, the notice id of an immediate message.
    pub key: String,
    /// `queued`, `sending`, `sent`, `failed` or `empty`.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// Its Message-ID, once sent.
    pub message_id: Option<String>,
}

/// Every internal message, in id order (for `relance run`'s report and tests).
pub async fn messages(store: &Store) -> Result<Vec<MessageRow>, StoreError> {
    let mut tx = store.begin().await?;
    let rows = on_tx!(&mut tx, c => async {
        let rows = sqlx::query(
            "SELECT id, colleague, kind, key, state, attempts, message_id \
             FROM internal_messages ORDER BY id",
        )
        .fetch_all(&mut **c)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MessageRow {
                    id: r.try_get(0)?,
                    colleague: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    key: r.try_get(3)?,
                    state: r.try_get(4)?,
                    attempts: r
                        .try_get::<i64, _>(5)
                        .or_else(|_| r.try_get::<i32, _>(5).map(i64::from))?,
                    message_id: r.try_get(6)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("reading internal messages"))?;
    tx.rollback().await?;
    Ok(rows)
}
