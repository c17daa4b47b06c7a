//! Test support: a fresh store on each backend. SQLite stores are files in a
//! temporary directory; PostgreSQL stores are databases created on the server
//! named by `RELANCE_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and dropped after the test. Without a reachable PostgreSQL the Postgres half
//! of a test is skipped with a printed reason, except under CI (`CI` set),
//! where it fails.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use relance_engine::store::Store;
use sqlx::{AssertSqlSafe, Connection as _, Executor as _, PgConnection};

/// A store and what must be removed after it.
pub struct TestStore {
    /// The backend's name, for messages.
    pub name: &'static str,
    /// The store.
    pub store: Store,
    /// The temporary directory (SQLite) kept alive with the store.
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database to drop.
    pg_database: Option<String>,
}

impl TestStore {
    /// Closes the store and drops its database.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some(db) = self.pg_database
            && let Ok(mut admin) = PgConnection::connect(&pg_admin_url()).await
        {
            let _ = admin
                .execute(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
                )))
                .await;
        }
    }
}

fn pg_admin_url() -> String {
    std::env::var("RELANCE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A new store in a SQLite file.
pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}", dir.path().join("relance.db").display());
    let store = Store::open(&url).await.expect("a SQLite store");
    TestStore {
        name: "sqlite",
        store,
        _dir: Some(dir),
        pg_database: None,
    }
}

/// A new store in its own PostgreSQL database, or `None` (outside CI) when
/// PostgreSQL cannot be reached.
pub async fn postgres() -> Option<TestStore> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin_url = pg_admin_url();
    let mut admin = match PgConnection::connect(&admin_url).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL is unreachable at {admin_url} under CI: {e}");
            }
            eprintln!("skipped the PostgreSQL half: {admin_url} is unreachable ({e})");
            return None;
        }
    };
    let db = format!(
        "relance_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        fastrand::u32(..)
    );
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .await
        .expect("creating a test database");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let store = Store::open(&format!("{base}/{db}"))
        .await
        .expect("a PostgreSQL store");
    Some(TestStore {
        name: "postgres",
        store,
        _dir: None,
        pg_database: Some(db),
    })
}

/// Both backends (PostgreSQL when reachable).
pub async fn both() -> Vec<TestStore> {
    let mut stores = vec![sqlite().await];
    stores.extend(postgres().await);
    stores
}

/// The example configuration shipped in `config/`.
pub fn example_config() -> relance_dsl::model::Config {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
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
