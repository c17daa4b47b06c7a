//! The end-to-end tests of relance, in one test binary: the real `relance`
//! binary run as a user runs it, on real directories, SQLite files and
//! PostgreSQL databases, sending to a real SMTP sink. Helpers shared with the
//! other crates' tests live in `relance-test-support`.
//!
//! # Layout
//! - `api_cli`: `token`, `approve` and `serve`.
//! - `cli`: `check` and `fmt`.
//! - `data_cli`: `gen`, `import` and `status`.
//! - `demo_cli`: `demo`.
//! - `files_cli`: `attach` and `files` (list, hide, purge).
//! - `planning`: the planning fixtures of `tests/planning/`.
//! - `preview_cli`: `preview`.
//! - `reports`: the report fixtures of `tests/reports/`.
//! - `run_cli`: `plan`, `run`, `simulate` and `diff`.
//! - `worker_cli`: `worker` and `run --mailer smtp`.
//! - `support`: the helpers of these tests.

mod api_cli;
mod cli;
mod data_cli;
mod demo_cli;
mod files_cli;
mod planning;
mod preview_cli;
mod reports;
mod run_cli;
mod support;
mod worker_cli;
