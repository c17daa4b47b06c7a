//! The PostgreSQL server of the tests, named by `RELANCE_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), and fresh databases on it,
//! one per test, dropped after it.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{AssertSqlSafe, Connection as _, Executor as _, PgConnection};

/// The URL of the server's administrative database.
pub fn admin_url() -> String {
    std::env::var("RELANCE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of its own on the test server.
pub struct Database {
    /// The URL to open it.
    pub url: String,
    /// Its name, to drop it.
    pub name: String,
}

impl Database {
    /// Creates a database named `PREFIX_PID_N_RANDOM`, or returns `None`
    /// (outside CI) when PostgreSQL cannot be reached.
    pub async fn create(prefix: &str) -> Option<Database> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin_url = admin_url();
        let mut admin = match PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) => {
                return crate::skip(&format!("PostgreSQL is unreachable at {admin_url} ({e})"));
            }
        };
        let name = format!(
            "{prefix}_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        );
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("creating a test database");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        Some(Database {
            url: format!("{base}/{name}"),
            name,
        })
    }

    /// Drops the database, closing what is still connected to it.
    pub async fn drop_database(self) {
        drop_database(&self.name).await;
    }
}

/// Drops the database `name`, if it exists, closing its connections.
pub async fn drop_database(name: &str) {
    if let Ok(mut admin) = PgConnection::connect(&admin_url()).await {
        let _ = admin
            .execute(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .await;
    }
}
