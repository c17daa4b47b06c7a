//! Delivering due actions (docs/reference/planning.md "Execution"): a plain function over
//! the store, the compiled configuration, a composer and a mailer, called by
//! the `Deliver` job and by `relance run`. The time is an argument.
//!
//! Per batch: claim due actions (`sending`), re-read their accounts, drop
//! covered items paid or suspended since planning (none left: `cancelled`),
//! hold emails outside the account's send window (`waiting_window`), compose,
//! send (concurrently, over the SMTP pool), then record every outcome in one
//! transaction: `sent`, a retry with exponential backoff for transient
//! failures, `failed` with a `delivery_failed` alert for permanent ones or
//! the last try. A worker killed after sending and before recording leaves
//! `sending`; once the lease is over another claim sends it again with the
//! same Message-ID.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use relance_engine::planner::{Account, ItemKey, Planner};
use relance_engine::run::{self, RunError};
use relance_engine::store::notices::{self, ClaimedMessage, MessageOutcome};
use relance_engine::store::outbox::{self, Claimed, Finished, Outcome};
use relance_engine::store::{Store, StoreError, alerts, imports};
use tracing::{debug, info, instrument, warn};

use crate::compose::{Compose, InternalOutgoing, Outgoing, SharedFile, message_id};
use crate::mailer::{self, Mailer, SendError};

/// What a send task gives back: the action's index in its batch, its
/// Message-ID, the recipients refused before sending, and the server's
/// answer.
type SendResult = (
    usize,
    String,
    Vec<String>,
    Result<mailer::Delivered, SendError>,
);

/// How transient failures are retried: `tries` attempts in all, the n-th
/// retry `first × 2^(n-1)` after the previous attempt. The default, 5 tries
/// 4 minutes apart and doubling, spans an hour (4 + 8 + 16 + 32 minutes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts before an action is `failed`.
    pub tries: u32,
    /// The wait after the first failed attempt.
    pub first: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            tries: 5,
            first: Duration::from_secs(4 * 60),
        }
    }
}

impl Retry {
    /// The wait after the `attempt`-th failed attempt (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        self.first
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
    }
}

/// How a delivery pass works.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where `.eml` files (file mailer) and letters (`.html`) go.
    pub outbox: PathBuf,
    /// Retries of transient failures.
    pub retry: Retry,
    /// How long a claim holds: a `sending` action older than this is taken
    /// to belong to a dead worker and claimed again.
    pub lease: Duration,
    /// Actions claimed per batch (and per recording transaction).
    pub batch: usize,
    /// Whether emails wait for the account's send window (the SMTP mailer:
    /// the outbox is read by a person, who decides when mail leaves).
    pub windows: bool,
    /// Who claims (in `claimed_by`).
    pub worker: String,
    /// The origin written in history (`worker:<host>:<pid>`, `run:...`).
    pub origin: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            outbox: PathBuf::from("outbox"),
            retry: Retry::default(),
            lease: Duration::from_secs(10 * 60),
            batch: 64,
            windows: true,
            worker: format!("worker:{}", std::process::id()),
            origin: format!("worker:{}", std::process::id()),
        }
    }
}

/// What a delivery pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Emails handed over (to the server or the outbox).
    pub sent: usize,
    /// Letters written.
    pub letters: usize,
    /// Actions with nothing to send, done.
    pub done: usize,
    /// Actions cancelled: every covered item paid or suspended.
    pub cancelled: usize,
    /// Transient failures to try again later.
    pub retried: usize,
    /// Actions failed for good.
    pub failed: usize,
    /// Emails waiting for their send window.
    pub waiting: usize,
    /// Recipients left out of emails sent to the others (an address no
    /// server can take); each raised `delivery_failed`.
    pub refused: usize,
    /// Why sends are held (stale data), when they are.
    pub held: Option<String>,
    /// Ids of the actions sent or done.
    pub delivered: Vec<i64>,
    /// Internal messages (digests, immediate alerts) handed over.
    pub internal: usize,
    /// Internal messages to try again later.
    pub internal_retried: usize,
    /// Internal messages failed for good.
    pub internal_failed: usize,
}

impl Report {
    fn add(&mut self, other: Report) {
        self.sent += other.sent;
        self.letters += other.letters;
        self.done += other.done;
        self.cancelled += other.cancelled;
        self.retried += other.retried;
        self.failed += other.failed;
        self.waiting += other.waiting;
        self.refused += other.refused;
        self.delivered.extend(other.delivered);
        self.internal += other.internal;
        self.internal_retried += other.internal_retried;
        self.internal_failed += other.internal_failed;
        if other.held.is_some() {
            self.held = other.held;
        }
    }
}

/// Why a delivery pass stopped (sending problems are outcomes, not errors).
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Accounts could not be read.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The outbox cannot be created.
    #[error("cannot create the outbox {path}")]
    Outbox {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What delivery needs to hand files and links to customers
/// (docs/reference/files.md "In emails"); the default makes no links and
/// attaches no file.
#[derive(Debug, Clone, Default)]
pub struct Shared {
    /// Where file contents are kept; `None`: `attach invoices` can only link.
    pub files: Option<relance_engine::files::FileStore>,
    /// Signs links; `None`: no links (`#attachments` and
    /// `#interactive_link` render empty).
    pub signer: Option<relance_engine::links::Signer>,
    /// The public address links start with, over the settings'
    /// `public_url` (neither: relative links).
    pub public_url: Option<String>,
}

impl Shared {
    /// The address links start with: [`Shared::public_url`], else the
    /// settings' `public_url`, else `""` (relative links).
    pub fn public_url_for(&self, settings: &relance_dsl::model::Settings) -> String {
        self.public_url
            .clone()
            .or_else(|| settings.public_url.clone())
            .unwrap_or_default()
    }

    /// The customer page's link of `account`, made at `now` for
    /// `link_expiry`; `None` without a signer.
    pub fn page_link(
        &self,
        settings: &relance_dsl::model::Settings,
        account: &str,
        now: DateTime<Utc>,
    ) -> Option<String> {
        let expiry = chrono::TimeDelta::hours(settings.link_expiry_hours);
        let signer = self.signer.as_ref()?;
        Some(
            signer
                .page_link(account, now, expiry, &self.public_url_for(settings))
                .0,
        )
    }
}

/// Everything a delivery pass needs.
#[derive(Clone)]
pub struct Delivery {
    /// The store (the `actions` table is the outbox).
    pub store: Store,
    /// The compiled configuration.
    pub planner: Arc<Planner>,
    /// Message content.
    pub composer: Arc<dyn Compose>,
    /// Where messages go.
    pub mailer: Mailer,
    /// How.
    pub options: Options,
    /// Files and links for customers.
    pub shared: Shared,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("mailer", &self.mailer)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The fields of an action's payload the worker reads.
#[derive(Debug, Default, serde::Deserialize)]
struct Payload {
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    to: Vec<String>,
    #[serde(default)]
    cc: Vec<String>,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

/// The customer-shared files of items, by `(customer, reference)`.
pub type FilesOfItems = HashMap<(String, String), Vec<relance_engine::store::files::FileRow>>;

/// An email or a letter waiting to leave.
struct Prepared {
    name: String,
    message_id: String,
    email: Option<lettre::Message>,
    letter: Option<String>,
    /// The letter as a PDF, written beside the HTML.
    letter_pdf: Option<Vec<u8>>,
    /// Recipients left out (`address: why`).
    refused: Vec<String>,
}

impl Delivery {
    /// Delivers every action due at `now`, a batch at a time, until none is
    /// left. Sends are held (nothing claimed) while the data is stale.
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<Report, DeliverError> {
        let mut report = Report::default();
        if !self.mailer.delivers() {
            return Ok(report);
        }
        if let Some(why) = self.freshness(now).await? {
            warn!(%why, "sends held");
            report.held = Some(why);
            return Ok(report);
        }
        std::fs::create_dir_all(&self.options.outbox).map_err(|source| DeliverError::Outbox {
            path: self.options.outbox.clone(),
            source,
        })?;
        // Two passes claim batches side by side, so that one's sends overlap
        // the other's reads and composing: the SMTP connections stay busy.
        let pass = || async {
            let mut report = Report::default();
            loop {
                let (batch, claimed) = self.deliver_batch(now).await?;
                report.add(batch);
                if claimed == 0 {
                    return Ok::<_, DeliverError>(report);
                }
            }
        };
        let (first, second) = tokio::join!(pass(), pass());
        report.add(first?);
        report.add(second?);
        loop {
            let (batch, claimed) = self.deliver_internal_batch(now).await?;
            report.add(batch);
            if claimed == 0 {
                break;
            }
        }
        Ok(report)
    }

    /// Claims one batch of due internal messages (digests, immediate
    /// alerts: docs/reference/planning.md "Notifications") and delivers it
    /// as actions are delivered: the same mailer, lease, retries with
    /// backoff and history; the Message-ID is derived from the message's id
    /// and key, so a message sent again after a crash is the same message.
    /// Internal messages do not wait for the customers' send window.
    /// Returns what it did and how many it claimed (0: nothing is due).
    #[instrument(skip_all, fields(worker = %self.options.worker))]
    pub async fn deliver_internal_batch(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(Report, usize), DeliverError> {
        let stale = now - chrono::TimeDelta::from_std(self.options.lease).unwrap_or_default();
        let claimed = notices::claim(
            &self.store,
            &self.options.worker,
            &stamp(now),
            &stamp(stale),
            self.options.batch,
        )
        .await?;
        if claimed.is_empty() {
            return Ok((Report::default(), 0));
        }
        let from = self.planner.config.settings.from.as_deref().unwrap_or("");
        let mut outcomes: Vec<Option<MessageOutcome>> = vec![None; claimed.len()];
        let mut sends = tokio::task::JoinSet::new();
        let in_flight = self.mailer.concurrency();
        for (index, m) in claimed.iter().enumerate() {
            // Links are made from the settings in force (`public_url`).
            let settings = &self.planner.config.settings;
            let entries: Vec<relance_templates::internal::Entry> = m
                .notices
                .iter()
                .filter_map(|n| {
                    serde_json::from_str::<relance_templates::internal::Entry>(&n.entry).ok()
                })
                .map(|e| relance_templates::internal::Entry {
                    link: settings.account_link(&e.account),
                    ..e
                })
                .collect();
            if entries.is_empty() {
                outcomes[index] = Some(MessageOutcome::Empty);
                continue;
            }
            let day = if m.kind == notices::DIGEST {
                m.key.parse().ok()
            } else {
                m.notices.first().and_then(|n| n.created_on.parse().ok())
            }
            .unwrap_or_else(|| now.date_naive());
            let mid = message_id(
                m.id,
                &format!("internal/{}/{}/{}", m.kind, m.colleague, m.key),
                from,
            );
            let out = InternalOutgoing {
                id: m.id,
                message_id: &mid,
                kind: &m.kind,
                to: &m.colleague,
                day,
                entries,
            };
            let email = match self.composer.compose_internal(&out) {
                Ok(email) => email,
                Err(e) => {
                    outcomes[index] = Some(MessageOutcome::Failed {
                        reply: format!("composing: {e}"),
                    });
                    continue;
                }
            };
            while sends.len() >= in_flight {
                if let Some(Ok((i, mid, result))) = sends.join_next().await {
                    outcomes[i] = Some(self.internal_outcome(&claimed[i], mid, result, now));
                }
            }
            let mailer = self.mailer.clone();
            let outbox = self.options.outbox.clone();
            let name = format!(
                "internal-{}",
                mailer::file_name(m.id, &m.colleague, &m.kind)
            );
            sends.spawn(async move {
                let result = mailer::send(&mailer, &outbox, &name, &email).await;
                (index, mid, result)
            });
        }
        while let Some(joined) = sends.join_next().await {
            if let Ok((i, mid, result)) = joined {
                outcomes[i] = Some(self.internal_outcome(&claimed[i], mid, result, now));
            }
        }
        let mut report = Report::default();
        let mut finished = Vec::with_capacity(claimed.len());
        for (m, outcome) in claimed.into_iter().zip(outcomes) {
            // A send task that panicked: try again later.
            let outcome = outcome.unwrap_or(MessageOutcome::Release);
            match &outcome {
                MessageOutcome::Sent { .. } => report.internal += 1,
                MessageOutcome::Retry { .. } => report.internal_retried += 1,
                MessageOutcome::Failed { reply } => {
                    warn!(message = m.id, colleague = %m.colleague, %reply, "internal message failed");
                    report.internal_failed += 1;
                }
                MessageOutcome::Empty | MessageOutcome::Release => {}
            }
            finished.push((m, outcome));
        }
        let count = finished.len();
        notices::finish(&self.store, &finished, &stamp(now), &self.options.origin).await?;
        info!(
            claimed = count,
            sent = report.internal,
            "internal batch recorded"
        );
        Ok((report, count))
    }

    /// The outcome of one internal send, retried as an action's would be.
    fn internal_outcome(
        &self,
        m: &ClaimedMessage,
        message_id: String,
        result: Result<mailer::Delivered, SendError>,
        now: DateTime<Utc>,
    ) -> MessageOutcome {
        let attempt = u32::try_from(m.attempts + 1).unwrap_or(u32::MAX);
        match result {
            Ok(delivered) => MessageOutcome::Sent {
                reply: delivered.reply,
                message_id,
            },
            Err(SendError::Transient(reply)) if attempt < self.options.retry.tries => {
                MessageOutcome::Retry {
                    reply,
                    at: stamp(after(now, self.options.retry.delay(attempt))),
                }
            }
            Err(SendError::Transient(reply)) => MessageOutcome::Failed {
                reply: format!("{reply} (after {attempt} tries)"),
            },
            Err(SendError::Permanent(reply)) => MessageOutcome::Failed { reply },
        }
    }

    /// The data freshness gate: when the settings have `max_data_age` and the
    /// last items import is older (or there is none), raises `stale_data`
    /// and says why sends are held; otherwise resolves it.
    pub async fn freshness(&self, now: DateTime<Utc>) -> Result<Option<String>, DeliverError> {
        let Some(hours) = self.planner.config.settings.max_data_age_hours else {
            return Ok(None);
        };
        let last = imports::last_items_import(&self.store).await?;
        let age = last
            .as_deref()
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map(|at| now - at.with_timezone(&Utc));
        let why = match (last.as_deref(), age) {
            (None, _) => Some(format!(
                "no items import yet (max_data_age {hours}h): sends are held"
            )),
            (Some(at), Some(age)) if age > chrono::TimeDelta::hours(hours) => Some(format!(
                "the last items import ({at}) is {}h old, over max_data_age {hours}h: sends are held",
                age.num_hours()
            )),
            _ => None,
        };
        let date = now.date_naive().to_string();
        alerts::stale_data(
            &self.store,
            why.is_some(),
            why.as_deref().unwrap_or(""),
            &date,
            &stamp(now),
            &self.options.origin,
        )
        .await?;
        Ok(why)
    }

    /// Claims one batch and delivers it; returns what it did and how many
    /// actions it claimed (0: nothing is due).
    #[instrument(skip_all, fields(worker = %self.options.worker))]
    pub async fn deliver_batch(&self, now: DateTime<Utc>) -> Result<(Report, usize), DeliverError> {
        let stale = now - chrono::TimeDelta::from_std(self.options.lease).unwrap_or_default();
        let claimed = outbox::claim(
            &self.store,
            &self.options.worker,
            &stamp(now),
            &stamp(stale),
            self.options.batch,
        )
        .await?;
        if claimed.is_empty() {
            return Ok((Report::default(), 0));
        }
        debug!(count = claimed.len(), "claimed");
        let mut codes: Vec<String> = claimed.iter().map(|c| c.account.clone()).collect();
        codes.sort();
        codes.dedup();
        let sent = {
            let mut tx = self.store.begin().await?;
            let sent = relance_engine::store::actions::sent(&mut tx, &codes).await;
            tx.rollback().await?;
            sent?
        };
        let accounts = Arc::new(run::load_accounts(&self.store, &self.planner, codes).await?);
        let files = self.files_of(&claimed).await?;

        // What each action needs read (its account, earlier sends, files),
        // then composed on every core, each message sent as soon as it is.
        let mut outcomes: Vec<Option<Outcome>> = vec![None; claimed.len()];
        let mut jobs = Vec::new();
        {
            let by_code: HashMap<&str, usize> = accounts
                .iter()
                .enumerate()
                .map(|(i, a)| (a.code.as_str(), i))
                .collect();
            for (index, action) in claimed.iter().enumerate() {
                let sent = sent.get(&action.account).map_or(&[][..], Vec::as_slice);
                let account = by_code
                    .get(action.account.as_str())
                    .map(|&i| (i, &accounts[i]));
                match self.gather(index, action, account, sent, &files, now).await {
                    Ok(job) => jobs.push(job),
                    Err(outcome) => outcomes[index] = Some(outcome),
                }
            }
        }
        let claimed = Arc::new(claimed);
        let (composed_tx, mut composed) = tokio::sync::mpsc::unbounded_channel();
        let composing = {
            let (composer, claimed, accounts) =
                (self.composer.clone(), claimed.clone(), accounts.clone());
            tokio::task::spawn_blocking(move || {
                compose_all(&*composer, &claimed, &accounts, &jobs, &composed_tx);
            })
        };

        // Letters written, emails sent concurrently over the pool.
        let mut sends = tokio::task::JoinSet::new();
        let in_flight = self.mailer.concurrency();
        while let Some((index, prepared)) = composed.recv().await {
            let action = &claimed[index];
            let p: Prepared = match prepared {
                Ok(p) => p,
                Err(outcome) => {
                    outcomes[index] = Some(outcome);
                    continue;
                }
            };
            let files = [
                ("html", p.letter.as_ref().map(String::as_bytes)),
                ("pdf", p.letter_pdf.as_deref()),
            ];
            let written = files.iter().try_for_each(|(ext, bytes)| match bytes {
                Some(bytes) => {
                    let path = self.options.outbox.join(format!("{}.{ext}", p.name));
                    mailer::write_whole(&path, bytes)
                        .map_err(|e| format!("writing {}: {e}", path.display()))
                }
                None => Ok(()),
            });
            if let Err(e) = written {
                outcomes[index] = Some(self.failure(action, SendError::Transient(e), now));
                continue;
            }
            match p.email {
                Some(email) => {
                    // At most one send per connection in flight: a batch of
                    // hundreds of sends queued at once on the pool stalled
                    // some of them until lettre's timeout.
                    while sends.len() >= in_flight {
                        if let Some(joined) = sends.join_next().await
                            && let Some((index, outcome)) = self.sent(&claimed, joined, now)
                        {
                            outcomes[index] = Some(outcome);
                        }
                    }
                    let mailer = self.mailer.clone();
                    let outbox = self.options.outbox.clone();
                    sends.spawn(async move {
                        let result = mailer::send(&mailer, &outbox, &p.name, &email).await;
                        (index, p.message_id, p.refused, result)
                    });
                }
                None => {
                    outcomes[index] = Some(Outcome::Sent {
                        reply: format!("letter written to {}.html and .pdf", p.name),
                        message_id: None,
                        refused: p.refused,
                    });
                }
            }
        }
        if let Err(e) = composing.await {
            // A composer that panicked: its actions are released (below).
            warn!(error = %e, "composing stopped");
        }
        while let Some(joined) = sends.join_next().await {
            if let Some((index, outcome)) = self.sent(&claimed, joined, now) {
                outcomes[index] = Some(outcome);
            }
        }
        let claimed = Arc::try_unwrap(claimed).unwrap_or_else(|shared| (*shared).clone());
        let accounts: HashMap<&str, &Account> =
            accounts.iter().map(|a| (a.code.as_str(), a)).collect();

        let mut report = Report::default();
        let mut finished = Vec::with_capacity(claimed.len());
        for (action, outcome) in claimed.into_iter().zip(outcomes) {
            // A send task that panicked: try again later.
            let outcome = outcome.unwrap_or(Outcome::Release);
            match &outcome {
                Outcome::Sent {
                    message_id,
                    refused,
                    ..
                } => {
                    report.refused += refused.len();
                    if message_id.is_some() {
                        report.sent += 1;
                    } else {
                        report.letters += 1;
                    }
                    report.delivered.push(action.id);
                }
                Outcome::Done => {
                    report.done += 1;
                    report.delivered.push(action.id);
                }
                Outcome::Cancelled { .. } => report.cancelled += 1,
                Outcome::Retry { .. } => report.retried += 1,
                Outcome::Failed { reply } => {
                    warn!(action = action.id, account = %action.account, %reply, "delivery failed");
                    report.failed += 1;
                }
                Outcome::Wait { .. } => report.waiting += 1,
                Outcome::Release => {}
            }
            finished.push(Finished { action, outcome });
        }
        let count = finished.len();
        // A `delivery_failed` raised now is told like a run's alerts.
        let notify = |alert: &alerts::RaisedAlert| match accounts.get(alert.account.as_str()) {
            Some(account) => relance_engine::notify::raised_alert(
                &self.planner,
                account,
                alert,
                now.with_timezone(&self.planner.timezone(account))
                    .date_naive(),
            ),
            None => Vec::new(),
        };
        outbox::finish(
            &self.store,
            &finished,
            &stamp(now),
            &now.date_naive().to_string(),
            &self.options.origin,
            notify,
        )
        .await?;
        info!(
            claimed = count,
            sent = report.sent,
            failed = report.failed,
            retried = report.retried,
            "batch recorded"
        );
        Ok((report, count))
    }

    /// The outcome of one finished send: `(index in the batch, outcome)`.
    fn sent(
        &self,
        claimed: &[Claimed],
        joined: Result<SendResult, tokio::task::JoinError>,
        now: DateTime<Utc>,
    ) -> Option<(usize, Outcome)> {
        let (index, message_id, mut refused, result) = joined.ok()?;
        Some((
            index,
            match result {
                Ok(delivered) => Outcome::Sent {
                    reply: delivered.reply,
                    message_id: Some(message_id),
                    refused: {
                        refused.extend(delivered.refused);
                        refused
                    },
                },
                Err(e) => self.failure(&claimed[index], e, now),
            },
        ))
    }

    /// A transient failure is retried with backoff until the last try; a
    /// permanent one fails at once.
    fn failure(&self, action: &Claimed, e: SendError, now: DateTime<Utc>) -> Outcome {
        let attempt = u32::try_from(action.attempts + 1).unwrap_or(u32::MAX);
        match e {
            SendError::Transient(reply) if attempt < self.options.retry.tries => Outcome::Retry {
                reply,
                at: stamp(after(now, self.options.retry.delay(attempt))),
            },
            SendError::Transient(reply) => Outcome::Failed {
                reply: format!("{reply} (after {attempt} tries)"),
            },
            SendError::Permanent(reply) => Outcome::Failed { reply },
        }
    }

    /// The customer-shared, visible files of the items the claimed actions
    /// cover, by `(customer, reference)`: one read per batch.
    async fn files_of(&self, claimed: &[Claimed]) -> Result<FilesOfItems, DeliverError> {
        let mut items: Vec<(String, String)> = claimed
            .iter()
            .flat_map(|a| a.items.iter())
            .filter_map(|k| ItemKey::parse(k))
            .map(|k| (k.customer.to_string(), k.reference.to_string()))
            .collect();
        items.sort();
        items.dedup();
        Ok(files_of_items(&self.store, &items).await?)
    }

    /// The shared files of the items `keep` of an action on `account`
    /// ([`shared_files`]).
    async fn shared_files(
        &self,
        action: &Claimed,
        account: &Account,
        keep: &[ItemKey],
        files: &FilesOfItems,
        now: DateTime<Utc>,
    ) -> Vec<SharedFile> {
        shared_files(
            &self.shared,
            &self.planner,
            (&action.scenario, &action.step),
            account,
            keep,
            files,
            now,
        )
        .await
    }

    /// Re-reads one claimed action (the `index`-th of its batch) against its
    /// account (its index among the batch's accounts, and it): what to
    /// compose, or the outcome without composing.
    async fn gather(
        &self,
        index: usize,
        action: &Claimed,
        account: Option<(usize, &Account)>,
        sent: &[relance_engine::store::actions::Sent],
        files: &FilesOfItems,
        now: DateTime<Utc>,
    ) -> Result<Job, Outcome> {
        let Some((account_index, account)) = account else {
            return Err(Outcome::Cancelled {
                why: format!("account {} has no open item left", action.account),
            });
        };
        let payload: Payload = serde_json::from_str(&action.payload).unwrap_or_default();
        let tz = self.planner.timezone(account);
        let today = now.with_timezone(&tz).date_naive();
        let items: Vec<ItemKey> = action
            .items
            .iter()
            .filter_map(|k| ItemKey::parse(k))
            .collect();
        let (keep, dropped) = self
            .planner
            .still_chased(account, &action.scenario, &items, today);
        if keep.is_empty() {
            return Err(Outcome::Cancelled {
                why: format!("nothing left to chase: {}", dropped.join("; ")),
            });
        }
        // Addresses leave in ASCII (IDNA domains); one no server can take
        // is left out, and the message goes to the others.
        let mut refused = Vec::new();
        let mut keep_sendable = |list: &[String]| -> Vec<String> {
            list.iter()
                .filter_map(|a| match crate::compose::sendable(a) {
                    Ok(a) => Some(a),
                    Err(why) => {
                        refused.push(format!("{a}: {why}"));
                        None
                    }
                })
                .collect()
        };
        let to = keep_sendable(&payload.to);
        let cc = keep_sendable(&payload.cc);
        let wants_email = payload.kinds.iter().any(|k| k == "email");
        if wants_email && to.is_empty() && !payload.to.is_empty() {
            return Err(Outcome::Failed {
                reply: format!("no recipient can be sent to: {}", refused.join("; ")),
            });
        }
        let run_date = action.run_date.parse().unwrap_or(today);
        let settings = &self.planner.config.settings;
        let from = settings.from.as_deref().unwrap_or("");
        let message_id = message_id(
            action.id,
            &format!(
                "{}/{}/{}/{}",
                action.account, action.scenario, action.step, action.leader
            ),
            from,
        );
        let job = Job {
            index,
            account: account_index,
            message_id,
            run_date,
            kinds: payload.kinds,
            template: payload.template,
            to,
            cc,
            items: keep,
            files: Vec::new(),
            interactive: self.shared.page_link(settings, &account.code, now),
            // The emails and letters that went out before this action's run date.
            previous: crate::render::previous(sent, run_date),
            refused,
        };
        let out = job.outgoing(action, account);
        if !out.has_email() && !out.has_letter() {
            return Err(Outcome::Done);
        }
        if self.options.windows
            && out.has_email()
            && let Some(until) = window_wait(settings.send_window, tz, now)
        {
            return Err(Outcome::Wait {
                until: stamp(until),
            });
        }
        let files = self
            .shared_files(action, account, &job.items, files, now)
            .await;
        Ok(Job { files, ..job })
    }
}

/// An action ready to compose: what [`Delivery::gather`] read for it.
struct Job {
    /// Its index in the batch.
    index: usize,
    /// Its account's index among the batch's accounts.
    account: usize,
    message_id: String,
    run_date: NaiveDate,
    kinds: Vec<String>,
    template: Option<String>,
    to: Vec<String>,
    cc: Vec<String>,
    /// The covered items still to chase.
    items: Vec<ItemKey>,
    files: Vec<SharedFile>,
    interactive: Option<String>,
    previous: Vec<relance_templates::context::Previous>,
    /// Recipients left out (`address: why`).
    refused: Vec<String>,
}

impl Job {
    /// What the composer is handed.
    fn outgoing<'a>(&'a self, action: &'a Claimed, account: &'a Account) -> Outgoing<'a> {
        Outgoing {
            id: action.id,
            message_id: &self.message_id,
            run_date: self.run_date,
            scenario: &action.scenario,
            step: &action.step,
            kinds: &self.kinds,
            template: self.template.as_deref(),
            to: &self.to,
            cc: &self.cc,
            items: &self.items,
            account,
            files: &self.files,
            interactive: self.interactive.as_deref(),
        }
    }

    /// Its email and letter, or why it failed.
    fn compose(
        &self,
        composer: &dyn Compose,
        action: &Claimed,
        account: &Account,
    ) -> Result<Prepared, Outcome> {
        let composed = composer
            .compose_after(&self.outgoing(action, account), &self.previous)
            .map_err(|e| Outcome::Failed {
                reply: format!("composing: {e}"),
            })?;
        Ok(Prepared {
            name: mailer::file_name(action.id, &action.account, &action.step),
            message_id: self.message_id.clone(),
            refused: if composed.email.is_some() {
                self.refused.clone()
            } else {
                Vec::new()
            },
            email: composed.email,
            letter: composed.letter,
            letter_pdf: composed.letter_pdf,
        })
    }
}

/// Composes `jobs` on every core, handing each result to `out` as soon as
/// it is made, with its index in the batch; stops early if `out` is gone.
fn compose_all(
    composer: &dyn Compose,
    claimed: &[Claimed],
    accounts: &[Account],
    jobs: &[Job],
    out: &tokio::sync::mpsc::UnboundedSender<(usize, Result<Prepared, Outcome>)>,
) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { return };
            let prepared = job.compose(composer, &claimed[job.index], &accounts[job.account]);
            if out.send((job.index, prepared)).is_err() {
                return;
            }
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let threads = cores.min(jobs.len()).max(1);
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
}

/// The customer-shared files of the items `keep` of an action of `step`
/// (`(scenario, step)`) on `account`, in the items' due-date order, each
/// content once: linked when `shared` has a signer, and, when the step
/// attaches invoices, with its content while the contents fit
/// `attach_budget_mb` (a file that does not fit is skipped, the next ones
/// tried). A content that cannot be read is linked instead (and logged).
/// `files` holds the visible customer-shared files by `(customer,
/// reference)`.
pub async fn shared_files(
    shared: &Shared,
    planner: &Planner,
    step: (&str, &str),
    account: &Account,
    keep: &[ItemKey],
    files: &FilesOfItems,
    now: DateTime<Utc>,
) -> Vec<SharedFile> {
    let settings = &planner.config.settings;
    let tz = planner.timezone(account);
    let expiry = chrono::TimeDelta::hours(settings.link_expiry_hours);
    let public_url = shared.public_url_for(settings);
    let attach = crate::render::step_attaches(&planner.config, step.0, step.1).invoices;
    let mut budget = settings.attach_budget_bytes;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    // In the statement's order: by due date.
    let due = |k: &ItemKey| account.items.iter().find(|i| k.is(i)).map(|i| i.due_date);
    let mut keep: Vec<&ItemKey> = keep.iter().collect();
    keep.sort_by_key(|k| (due(k), &k.customer, &k.reference));
    for key in keep {
        let Some(list) = files.get(&(key.customer.clone(), key.reference.clone())) else {
            continue;
        };
        for file in list {
            if !seen.insert(file.sha256.clone()) {
                continue;
            }
            let link = shared.signer.as_ref().map(|signer| {
                let (url, expires) = signer.file_link(file, now, expiry, &public_url);
                (url, expires.with_timezone(&tz).date_naive())
            });
            let size = u64::try_from(file.size).unwrap_or(u64::MAX);
            let mut content = None;
            if attach
                && size <= budget
                && let Some(store) = &shared.files
            {
                match store.get(&file.sha256).await {
                    Ok(bytes) => {
                        budget -= size;
                        content = Some(bytes);
                    }
                    Err(e) => warn!(
                        account = %account.code,
                        file = file.id,
                        error = %e,
                        "an attached file cannot be read; it is linked instead"
                    ),
                }
            }
            if content.is_none() && link.is_none() {
                warn!(
                    account = %account.code,
                    file = file.id,
                    name = %file.name,
                    "a shared file is neither attached nor linked (no link key, or no file store)"
                );
            }
            out.push(SharedFile {
                file: file.clone(),
                link,
                content,
            });
        }
    }
    out
}

/// The customer-shared, visible files of `items` (`(customer,
/// reference)`), by item: one read.
pub async fn files_of_items(
    store: &Store,
    items: &[(String, String)],
) -> Result<FilesOfItems, StoreError> {
    let mut by_item = FilesOfItems::new();
    if items.is_empty() {
        return Ok(by_item);
    }
    for file in relance_engine::files::customer_files_of(store, items).await? {
        by_item
            .entry((file.customer.clone(), file.reference.clone()))
            .or_default()
            .push(file);
    }
    Ok(by_item)
}

/// When an email outside the send window may leave (UTC), or `None` when
/// `now` is inside it (or there is no window).
pub fn window_wait(
    window: Option<(chrono::NaiveTime, chrono::NaiveTime)>,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let (start, end) = window?;
    let local = now.with_timezone(&tz);
    let time = local.time();
    if time >= start && time < end {
        return None;
    }
    let day: NaiveDate = if time < start {
        local.date_naive()
    } else {
        local.date_naive().succ_opt()?
    };
    // A window opening in a DST gap opens an hour later.
    let opening = (0..3).find_map(|h| {
        tz.from_local_datetime(&(day.and_time(start) + chrono::TimeDelta::hours(h)))
            .earliest()
    })?;
    Some(opening.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_retries_span_about_an_hour() {
        let r = Retry::default();
        let waits: Vec<u64> = (1..r.tries).map(|n| r.delay(n).as_secs() / 60).collect();
        assert_eq!(waits, [4, 8, 16, 32]);
        assert_eq!(waits.iter().sum::<u64>(), 60);
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("an instant")
    }

    #[test]
    fn the_send_window_is_local_time_in_the_account_timezone() {
        let window = Some((
            chrono::NaiveTime::from_hms_opt(8, 30, 0).expect("a time"),
            chrono::NaiveTime::from_hms_opt(18, 0, 0).expect("a time"),
        ));
        let paris = chrono_tz::Europe::Paris;
        let ny = chrono_tz::America::New_York;
        // 10:00 UTC: 11:00 in Paris (open), 05:00 in New York (opens 13:30 UTC).
        assert_eq!(window_wait(window, paris, at("2026-11-09T10:00:00Z")), None);
        assert_eq!(
            window_wait(window, ny, at("2026-11-09T10:00:00Z")),
            Some(at("2026-11-09T13:30:00Z"))
        );
        // 17:00 UTC is 18:00 in Paris: closed until tomorrow 08:30 (07:30 UTC).
        assert_eq!(
            window_wait(window, paris, at("2026-11-09T17:00:00Z")),
            Some(at("2026-11-10T07:30:00Z"))
        );
        assert_eq!(window_wait(None, paris, at("2026-11-09T02:00:00Z")), None);
    }

    #[test]
    fn a_window_opening_in_a_dst_gap_opens_at_the_first_valid_hour() {
        // Paris skips 02:00..03:00 on 2026-03-29.
        let window = Some((
            chrono::NaiveTime::from_hms_opt(2, 30, 0).expect("a time"),
            chrono::NaiveTime::from_hms_opt(18, 0, 0).expect("a time"),
        ));
        let opens = window_wait(window, chrono_tz::Europe::Paris, at("2026-03-28T20:00:00Z"));
        assert_eq!(opens, Some(at("2026-03-29T01:30:00Z")));
    }
}
