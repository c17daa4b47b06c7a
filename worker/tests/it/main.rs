//! The worker's integration tests, in one test binary: delivery against a
//! real SMTP sink on both backends, and every message of a configuration
//! rendered and read back. The sink and fresh stores come from
//! `relance-test-support`.
//!
//! # Layout
//! - `attachments`: `attach invoices`, `#attachments`, `#interactive_link`.
//! - `delivery`: sending, retries, permanent failures, send windows.
//! - `files`: `PurgeFiles`, retention of attached files.
//! - `messages`: every email and letter template in every language.
//! - `notify`: internal notifications: digests and immediate alerts.
//! - `support`: the helpers of these tests.

mod attachments;
mod delivery;
mod files;
mod messages;
mod notify;
mod support;
