//! The engine's integration tests, in one test binary: the checker on its
//! data-driven cases, the planner against a reference model, the importer,
//! the store and `run` on both backends, and fuzzers. Stores on both backends
//! come from `relance-test-support`.
//!
//! # Layout
//! - `answers`: customer answers (promise, dispute, paid) on both backends.
//! - `check_cases`: `relance check` on `test_data/check/{ok,err}` (golden files).
//! - `exact_money`: account figures and thresholds against exact decimal
//!   arithmetic (random portfolios in four currencies).
//! - `differential`: the step choice against a literal reference model.
//! - `files`: attached files, links and retention on both backends.
//! - `files_s3`: the same file store on a real S3-compatible server (moto).
//! - `fuzz_csv`: the CSV importer on random and mutated files.
//! - `hooks_agree`: `check` and the runtime compile hooks alike.
//! - `import`: `relance import` on both backends.
//! - `mutations`: random mutations of the example configuration.
//! - `payments`: the payment history imports record, on both backends.
//! - `run`: `run` records each action once.
//! - `store`: the store API the planner uses.
//! - `support`: the helpers of these tests.

mod answers;
mod check_cases;
mod differential;
mod exact_money;
mod files;
mod files_s3;
mod fuzz_csv;
mod hooks_agree;
mod import;
mod import_sync;
mod mutations;
mod payments;
mod run;
mod store;
mod support;
mod tasks;
