//! Helpers shared by the integration tests of the workspace's crates: fresh
//! stores on both backends, a real SMTP sink, a real S3-compatible server,
//! and the repository's fixtures.
//! A dev-only crate: members name it under `[dev-dependencies]` and nowhere
//! else, so nothing here reaches a build of relance.
//!
//! Services a test needs (PostgreSQL, python3 with aiosmtpd or moto) are optional
//! outside CI: when one is missing the test prints why and returns early.
//! Under CI (`CI` set, neither empty nor `false`) it fails instead.
//!
//! # Layout
//! - [`fixtures`]: the repository's paths, `copy_dir`, the example
//!   configuration without its send window, generated receivables (`Data`).
//! - [`pg`]: the PostgreSQL server of the tests (`RELANCE_TEST_PG`) and fresh
//!   databases on it.
//! - [`store`]: a fresh `Store` on a SQLite file or a PostgreSQL database.
//! - [`smtp`]: the SMTP sink (`tests/smtp_sink.py`) and parsed messages.
//! - [`s3`]: an S3-compatible server (moto) with one bucket.

pub mod fixtures;
pub mod pdf;
pub mod pg;
pub mod s3;
pub mod smtp;
pub mod store;

pub use fixtures::{Data, copy_dir, example_config_dir, no_window, repo_root};
pub use s3::S3Server;
pub use smtp::Sink;

/// Whether tests must fail rather than skip when a service is missing.
pub fn ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
}

/// Returns `None` after printing why a test is skipped, or panics under CI.
pub(crate) fn skip<T>(reason: &str) -> Option<T> {
    assert!(!ci(), "{reason} (under CI this must not be skipped)");
    eprintln!("skipped: {reason}");
    None
}
