//! relance worker: the scheduled side of relance. Daily collection runs per
//! timezone (apalis-cron), delivery of the recorded actions over SMTP, into
//! files, or not at all (lettre), retries of transient failures with
//! backoff, and the guarantee that an action's message is handed over once
//! (docs/reference/planning.md "Execution"; docs/delivery.md).
//!
//! # Layout
//! - [`compose`]: the seam to message content: [`compose::Outgoing`] (an
//!   action re-read just before sending), the [`compose::Compose`] trait, the
//!   stable Message-ID, and [`compose::PlainCompose`].
//! - [`mailer`]: SMTP, file (`.eml` into the outbox) or none; SMTP
//!   failures classified transient or permanent.
//! - [`smtp`]: the SMTP connections relance opens itself (`TCP_NODELAY`),
//!   on which lettre speaks SMTP.
//! - [`deliver`]: [`deliver::Delivery::deliver_due`], the plain function
//!   behind the `Deliver` job and `relance run`: claim, re-read, compose,
//!   send, record.
//! - [`jobs`]: the apalis jobs (`DailyRun`, `Deliver`, `EvaluateAlerts`,
//!   `PurgeFiles`), their queues on the store's own database, cron, and
//!   [`jobs::run_worker`], which runs them until shutdown.
//! - [`render`]: the templates' composer: an account and an action to a
//!   rendered template and a multipart email; the only place engine types
//!   meet the templates crate.

pub mod compose;
pub mod deliver;
pub mod jobs;
pub mod mailer;
pub mod render;
pub mod smtp;
