//! relance engine: the domain around the configuration and the receivables
//! data. Today it loads and checks a configuration directory; the store, the
//! imports, the planner, calendars and reports arrive with their issues.
//!
//! # Layout
//! - [`config`]: reading a configuration directory and checking it whole
//!   (DSL, hook files, templates), the one entry point every command uses.
//! - [`synthetic`]: synthetic receivables data (`relance gen`).
//! - [`store`]: the database (SQLite or PostgreSQL); the only module with SQL.
//! - [`import`]: CSV imports into the store.
//! - [`money`]: exact amounts in minor units.
//! - [`planner`]: the day's actions, alerts and escalations of an account,
//!   a pure function of the configuration, the facts and the date.
//! - [`run`]: planning and recording a day over the whole store, a page of
//!   accounts at a time.
//! - [`shards`]: the workers' daily runs, cut into shards of account codes
//!   that any worker runs.
//! - [`status`]: qualifying items by hand (promise, dispute...).
//! - [`answers`]: what a customer answers on their page (promise,
//!   dispute, "I already paid"): checked, then recorded with origin `customer`.
//! - [`approve`]: approving and rejecting `review` actions (CLI and API).
//! - [`notes`]: notes colleagues add to an account's history.
//! - [`tasks`]: the colleagues' tasks: listing, completing, cancelling.
//! - [`files`]: files attached to items and accounts: the content-addressed
//!   [`files::FileStore`], type checks, attaching, retention.
//! - [`links`]: HMAC-signed expiring links (file downloads).
//! - [`notify`]: which colleagues hear of what a run did (the notices its
//!   page transactions record; `store::notices` keeps them and the
//!   internal outbox).
//! - [`reports`]: the reports finance reads, pure functions of the store's
//!   items, payments and disputes and a date.

pub mod answers;
pub mod approve;
pub mod config;
pub mod date;
pub mod files;
pub mod import;
pub mod links;
pub mod notes;
pub mod notify;
pub mod reports;
pub mod run;
pub mod shards;
pub mod status;
pub mod store;
pub mod synthetic;
pub mod tasks;

/// The planner and its domain types live in their own crate, which cannot
/// read the database; re-exported under their old paths.
pub use relance_money as money;
pub use relance_planner as planner;
