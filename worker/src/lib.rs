//! relance worker: the scheduled side of relance. It runs the daily
//! collection per timezone as apalis jobs (cron), delivers emails with
//! lettre (SMTP, file or none), retries transient failures and guarantees
//! that each action is sent at most once.
//!
//! # Layout
//! - [`render`]: an account and an action to a rendered template and a
//!   multipart email; the only place engine types meet the templates crate.

#![forbid(unsafe_code)]

pub mod render;
