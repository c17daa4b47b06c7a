//! Helpers of the worker's tests: a compiled copy of the example
//! configuration with edits, and small receivables data imported into a
//! store. The SMTP sink, the data files and fresh stores come from
//! `relance-test-support`.

use std::path::PathBuf;
use std::sync::Arc;

use relance_engine::planner::Planner;
use relance_engine::store::Store;
pub use relance_test_support::no_window;
pub use relance_test_support::smtp::parse;
use relance_test_support::{copy_dir, example_config_dir};

/// Copies `config/` into a temporary directory, applies `edit` to
/// `main.relance`, and compiles it.
pub fn config(edit: impl Fn(&str) -> String) -> (tempfile::TempDir, Arc<Planner>) {
    let dir = tempfile::tempdir().expect("a temp dir");
    copy_dir(&example_config_dir(), dir.path());
    let main = dir.path().join("main.relance");
    let text = std::fs::read_to_string(&main).expect("main.relance");
    std::fs::write(&main, edit(&text)).expect("main.relance written");
    let report = relance_engine::config::load(dir.path()).expect("the configuration loads");
    assert!(!report.has_errors(), "{:?}", report.checked.diagnostics);
    let planner = Planner::new(&report.checked.config, &report.sources).expect("a planner");
    (dir, Arc::new(planner))
}

/// Import options dated `now`.
pub fn import_options(now: &str) -> relance_engine::import::Options {
    relance_engine::import::Options {
        kind: None,
        full: relance_engine::import::Full::No,
        dry_run: false,
        date_format: relance_engine::import::DateFormat::Iso,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 9).expect("a date"),
        now: now.into(),
        origin: "test".into(),
    }
}

/// Imports files into the store.
pub async fn import(store: &Store, planner: &Planner, files: &[PathBuf], now: &str) {
    relance_engine::import::import(store, &planner.config, files, &import_options(now))
        .await
        .expect("the import");
}

/// The run date of the fixtures.
pub fn run_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 9).expect("a date")
}

/// An instant on the run date, `HH:MM` UTC.
pub fn at(hm: &str) -> chrono::DateTime<chrono::Utc> {
    format!("2026-11-09T{hm}:00Z").parse().expect("an instant")
}
