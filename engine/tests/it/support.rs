//! Helpers of the engine's tests: the example configuration, import options
//! and fixture files. Fresh stores on both backends come from
//! `relance-test-support`.

use std::path::PathBuf;

pub use relance_test_support::store::{both, sqlite};

/// The example configuration shipped in `config/`.
pub fn example_config() -> relance_dsl::model::Config {
    let dir = relance_test_support::example_config_dir();
    let report = relance_engine::config::load(&dir).expect("config/ loads");
    assert!(!report.has_errors());
    report.checked.config
}

/// Import options for tests: ISO dates, no clearing, dated 2026-11-20.
pub fn import_options() -> relance_engine::import::Options {
    relance_engine::import::Options {
        kind: None,
        full: relance_engine::import::Full::No,
        dry_run: false,
        date_format: relance_engine::import::DateFormat::Iso,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("a date"),
        now: "2026-11-20T08:00:00Z".into(),
        origin: "test".into(),
    }
}

/// Writes files into a new temporary directory.
pub fn files(list: &[(&str, &[u8])]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let paths = list
        .iter()
        .map(|(name, bytes)| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).expect("writing a fixture");
            p
        })
        .collect();
    (dir, paths)
}
