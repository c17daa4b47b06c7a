//! The store: the receivables data and the history, on SQLite (one file, the
//! default) or PostgreSQL. This is the only module that speaks SQL.
//!
//! Both backends hold the same schema (`engine/migrations/<backend>/`), applied
//! when a store is opened and tracked in the `relance_migrations` table (the
//! job queue keeps `_sqlx_migrations` for itself). Queries go through sqlx's
//! `Any` driver with `$N` placeholders, which both backends understand; rows are
//! written and read in batches of multi-row statements, never one per item.

pub mod records;
pub mod table;

use std::borrow::Cow;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Executor as _, SqlSafeStr as _, Transaction};

/// Which database a store lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// What went wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is neither `sqlite:` nor `postgres:`.
    #[error("unsupported store URL `{0}` (use sqlite://FILE or postgres://USER@HOST/DB)")]
    Url(String),
    /// The database could not be reached or opened.
    #[error("cannot open the store {url}")]
    Connect {
        /// The URL, without password.
        url: String,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// The schema could not be brought up to date.
    #[error("cannot update the store's schema")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("store query failed: {what}")]
    Query {
        /// What was being done.
        what: &'static str,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
}

impl StoreError {
    /// Wraps a sqlx error with what was being done.
    pub fn query(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Query { what, source }
    }
}

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    /// The connections.
    pool: AnyPool,
    /// Which database.
    backend: Backend,
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "receivables",
    include_str!("../../migrations/sqlite/0001_receivables.sql"),
)];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "receivables",
    include_str!("../../migrations/postgres/0001_receivables.sql"),
)];

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates a store.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalize(url)?;
        let options: AnyConnectOptions = url.parse().map_err(|source| StoreError::Connect {
            url: redact(&url),
            source,
        })?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                             PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact(&url),
                source,
            })?;
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let list = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        let migrations = list
            .iter()
            .map(|(version, name, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*name),
                    MigrationType::Simple,
                    sqlx::AssertSqlSafe(*sql).into_sql_str(),
                    false,
                )
            })
            .collect();
        let mut migrator = Migrator::with_migrations(migrations);
        migrator.dangerous_set_table_name("relance_migrations");
        migrator.run(&self.pool).await.map_err(StoreError::Migrate)
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for the modules of the store.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<Transaction<'static, Any>, StoreError> {
        self.pool
            .begin()
            .await
            .map_err(StoreError::query("starting a transaction"))
    }

    /// Closes every connection (SQLite checkpoints its WAL).
    pub async fn close(self) {
        self.pool.close().await;
    }
}

/// Writes the parameters of generated statements: `$1, $2…` on PostgreSQL,
/// plain `?` on SQLite, where numbered names cost quadratic time in
/// statements with thousands of parameters.
#[derive(Debug)]
pub(crate) struct Params {
    /// Whether to write `$N`.
    numbered: bool,
    /// Parameters written so far.
    n: usize,
}

impl Params {
    /// The style of the connection's backend.
    pub(crate) fn new(conn: &sqlx::AnyConnection) -> Params {
        Params {
            numbered: conn.backend_name() != "SQLite",
            n: 0,
        }
    }

    /// Appends the next parameter to `sql`.
    pub(crate) fn push(&mut self, sql: &mut String) {
        self.n += 1;
        if self.numbered {
            sql.push('$');
            sql.push_str(&self.n.to_string());
        } else {
            sql.push('?');
        }
    }

    /// Appends `n` parameters separated by commas.
    pub(crate) fn list(&mut self, sql: &mut String, n: usize) {
        for i in 0..n {
            if i > 0 {
                sql.push_str(", ");
            }
            self.push(sql);
        }
    }
}

/// `sqlite://relance.db` gets `mode=rwc` so that the file is created.
fn normalize(url: &str) -> Result<(Backend, String), StoreError> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let mut url = format!("sqlite:{rest}");
        if !rest.contains("mode=") && !rest.contains(":memory:") {
            url.push(if rest.contains('?') { '&' } else { '?' });
            url.push_str("mode=rwc");
        }
        Ok((Backend::Sqlite, url))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok((Backend::Postgres, url.to_string()))
    } else {
        Err(StoreError::Url(url.to_string()))
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
