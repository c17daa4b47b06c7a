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

/// A configuration's text checked (its errors fail the test) and compiled.
pub fn planner_of(text: &str) -> relance_engine::planner::Planner {
    let mut loaded = relance_engine::config::Loaded::default();
    relance_engine::config::add_file(&mut loaded, "main.relance".into(), text.as_bytes().to_vec());
    let report = relance_engine::config::check(loaded);
    let errors: Vec<String> = report
        .checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect();
    assert!(errors.is_empty(), "{text}\n{errors:?}");
    relance_engine::planner::Planner::new(&report.checked.config, &report.sources)
        .expect("compiles")
}

/// Account `C1` of one customer, with these items and nothing recorded yet.
pub fn account_of(items: Vec<relance_engine::planner::Item>) -> relance_engine::planner::Account {
    relance_engine::planner::Account {
        code: "C1".into(),
        customers: vec![relance_engine::planner::account::Customer {
            facts: relance_engine::store::facts::CustomerFacts {
                code: "C1".into(),
                name: "One".into(),
                language: None,
                timezone: None,
                scenario: None,
                group_leader: None,
                credit_limit: None,
                currency: None,
                custom: "{}".into(),
                address: None,
                postcode: None,
                city: None,
                country: None,
            },
            custom: serde_json::Map::new(),
        }],
        items,
        contacts: Vec::new(),
        colleagues: Vec::new(),
        last_action: None,
        open_alerts: std::collections::BTreeSet::new(),
        escalations: std::collections::BTreeSet::new(),
        switches: Vec::new(),
    }
}
