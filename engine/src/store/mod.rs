//! The store: the receivables data and the history, on SQLite (one file, the
//! default) or PostgreSQL. This is the only module that speaks SQL.
//!
//! Both backends hold the same schema (`engine/migrations/<backend>/`), applied
//! when a store is opened and tracked in the `relance_migrations` table (the
//! job queue keeps `_sqlx_migrations` for itself). Each backend is driven
//! natively (sqlx's `Any` driver copies every value twice, which dominated bulk
//! imports); [`Tx`] is a transaction on either, and [`on_tx!`] writes a query
//! once for both. Rows are written and read in batches of multi-row
//! statements, never one per item.
//!
//! # Layout
//! One module per table (or close-knit tables) it owns, whoever calls it:
//! - [`actions`]: `actions` (recording once, pages, approvals, states) and
//!   the `item_steps` new actions move; [`outbox`]: delivery on `actions`
//!   (claims and outcomes).
//! - [`alerts`], [`escalations`], [`switches`]: what runs leave open or change.
//! - [`history`]: the append-only `history`.
//! - [`customers`]: `customers` and `colleagues` as read beyond the facts;
//!   [`items`]: clearing and item statuses; [`imports`]: import bookkeeping.
//! - [`payments`]: the append-only `payments` (when remaining went down).
//! - [`logins`]: `logins`, `sessions` and `login_links` of the web
//!   workspace.
//! - [`api_runs`]: runs the admin API starts; [`jobs`]: vacuuming the job queue.
//! - [`files`]: `files`, the metadata of attached files (their content is
//!   in [`crate::files::FileStore`]).
//! - [`reports`]: read-only aggregates for reports, summaries and metrics.
//! - [`shards`]: the shards of the workers' daily runs (`run_shards`) and
//!   the daily runs' rows of `api_runs`.
//! - [`facts`]: what the planner reads, a page of accounts at a time.
//! - [`table`]: the imported tables' columns and batched upserts.

pub mod actions;
pub mod alerts;
pub mod api_runs;
pub mod customers;
pub mod escalations;
pub mod facts;
pub mod files;
pub mod history;
pub mod imports;
pub mod items;
pub mod jobs;
pub mod logins;
pub mod notices;
pub mod outbox;
pub mod payments;
pub mod report_rows;
pub mod reports;
pub mod shards;
pub mod switches;
pub mod table;
pub mod tasks;

use std::borrow::Cow;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Postgres, Row as _, SqlSafeStr as _, Sqlite, Transaction};

/// Runs the same code on the connection of a [`Tx`], whichever backend it
/// is: `on_tx!(tx, conn => sqlx::query("...").execute(&mut **conn).await)`.
/// The body is compiled once per backend.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite($conn) => $body,
            $crate::store::Tx::Postgres($conn) => $body,
        }
    };
}
pub use on_tx;

/// A transaction on either backend.
#[derive(Debug)]
pub enum Tx {
    /// On SQLite.
    Sqlite(Transaction<'static, Sqlite>),
    /// On PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Makes the changes permanent.
    pub async fn commit(self) -> Result<(), StoreError> {
        on_tx!(self, t => t.commit().await).map_err(StoreError::query("committing"))
    }

    /// Forgets the changes.
    pub async fn rollback(self) -> Result<(), StoreError> {
        on_tx!(self, t => t.rollback().await).map_err(StoreError::query("rolling back"))
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

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
    /// A query on a connection of our own to the SQLite file failed
    /// ([`facts::FileReader`]).
    #[error("store query failed: {what}")]
    File {
        /// What was being done.
        what: &'static str,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// Another writer held the store longer than [`BUSY_WAIT`].
    #[error("the store is busy: {holder} is writing (waited {} s); try again when it is done", BUSY_WAIT.as_secs())]
    Busy {
        /// Who holds it, as far as we can tell.
        holder: &'static str,
    },
    /// Rows came back in a shape we cannot read.
    #[error("store data unreadable while {what}: {reason}")]
    Decode {
        /// What was being done.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// How long a writer waits for another before giving up: SQLite's busy
/// timeout, PostgreSQL's lock timeout on the import lock.
pub const BUSY_WAIT: Duration = Duration::from_secs(10);

/// The PostgreSQL advisory lock an import holds for its transaction
/// (`pg_advisory_xact_lock`): the ASCII of "relimpo".
const IMPORT_LOCK: i64 = 0x72_65_6c_69_6d_70_6f;

/// Whether a sqlx error is SQLite's "database is locked" (SQLITE_BUSY and
/// its extended codes) or PostgreSQL's lock timeout (55P03).
fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            code == "55P03"
                || code.parse::<i32>().is_ok_and(|c| c & 0xff == 5)
                || db.message().contains("database is locked")
        }
        _ => false,
    }
}

impl StoreError {
    /// Wraps a sqlx error with what was being done.
    pub fn query(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Query { what, source }
    }

    /// Wraps an error of [`facts::FileReader`] with what was being done.
    pub fn file(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
        move |source| StoreError::File { what, source }
    }
}

/// How much of a SQLite file is read through a memory map instead of being
/// copied in page by page (1 GiB).
const MMAP_SIZE: i64 = 1 << 30;

/// The connections of a store.
#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open store.
#[derive(Debug, Clone)]
pub struct Store {
    /// The connections.
    pool: Pool,
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "receivables",
        include_str!("../../migrations/sqlite/0001_receivables.sql"),
    ),
    (
        2,
        "actions",
        include_str!("../../migrations/sqlite/0002_actions.sql"),
    ),
    (
        3,
        "alerts",
        include_str!("../../migrations/sqlite/0003_alerts.sql"),
    ),
    (
        4,
        "delivery",
        include_str!("../../migrations/sqlite/0004_delivery.sql"),
    ),
    (
        5,
        "api_runs",
        include_str!("../../migrations/sqlite/0005_api_runs.sql"),
    ),
    (
        6,
        "customer_address",
        include_str!("../../migrations/sqlite/0006_customer_address.sql"),
    ),
    (
        7,
        "tasks",
        include_str!("../../migrations/sqlite/0007_tasks.sql"),
    ),
    (
        8,
        "notifications",
        include_str!("../../migrations/sqlite/0008_notifications.sql"),
    ),
    (
        9,
        "workspace",
        include_str!("../../migrations/sqlite/0009_workspace.sql"),
    ),
    (
        10,
        "files",
        include_str!("../../migrations/sqlite/0010_files.sql"),
    ),
    (
        11,
        "payments",
        include_str!("../../migrations/sqlite/0011_payments.sql"),
    ),
    (
        12,
        "run_shards",
        include_str!("../../migrations/sqlite/0012_run_shards.sql"),
    ),
    (
        13,
        "notices_by_message",
        include_str!("../../migrations/sqlite/0013_notices_by_message.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "receivables",
        include_str!("../../migrations/postgres/0001_receivables.sql"),
    ),
    (
        2,
        "actions",
        include_str!("../../migrations/postgres/0002_actions.sql"),
    ),
    (
        3,
        "alerts",
        include_str!("../../migrations/postgres/0003_alerts.sql"),
    ),
    (
        4,
        "delivery",
        include_str!("../../migrations/postgres/0004_delivery.sql"),
    ),
    (
        5,
        "api_runs",
        include_str!("../../migrations/postgres/0005_api_runs.sql"),
    ),
    (
        6,
        "customer_address",
        include_str!("../../migrations/postgres/0006_customer_address.sql"),
    ),
    (
        7,
        "tasks",
        include_str!("../../migrations/postgres/0007_tasks.sql"),
    ),
    (
        8,
        "notifications",
        include_str!("../../migrations/postgres/0008_notifications.sql"),
    ),
    (
        9,
        "workspace",
        include_str!("../../migrations/postgres/0009_workspace.sql"),
    ),
    (
        10,
        "files",
        include_str!("../../migrations/postgres/0010_files.sql"),
    ),
    (
        11,
        "payments",
        include_str!("../../migrations/postgres/0011_payments.sql"),
    ),
    (
        12,
        "run_shards",
        include_str!("../../migrations/postgres/0012_run_shards.sql"),
    ),
    (
        13,
        "notices_by_message",
        include_str!("../../migrations/postgres/0013_notices_by_message.sql"),
    ),
];

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates a store.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let (backend, url) = normalize(url)?;
        let connect = |source| StoreError::Connect {
            url: redact(&url),
            source,
        };
        let pool = match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(&url)
                    .map_err(connect)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(BUSY_WAIT)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .pragma("cache_size", "-65536")
                    // Reads map the file instead of copying each page in.
                    .pragma("mmap_size", MMAP_SIZE.to_string())
                    .pragma("temp_store", "MEMORY");
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(connect)?;
                Pool::Sqlite(pool)
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(&url).map_err(connect)?;
                let pool = PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(connect)?;
                Pool::Postgres(pool)
            }
        };
        let store = Store { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let list = match self.backend() {
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
        match &self.pool {
            Pool::Sqlite(p) => migrator.run(p).await,
            Pool::Postgres(p) => migrator.run(p).await,
        }
        .map_err(StoreError::Migrate)
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite file of the store, if it is one (not an in-memory
    /// database), for [`facts::FileReader`].
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match &self.pool {
            Pool::Sqlite(p) => {
                Some(p.connect_options().get_filename().to_path_buf()).filter(|path| path.is_file())
            }
            Pool::Postgres(_) => None,
        }
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let what = StoreError::query("starting a transaction");
        match &self.pool {
            Pool::Sqlite(p) => p.begin().await.map(Tx::Sqlite).map_err(what),
            Pool::Postgres(p) => p.begin().await.map(Tx::Postgres).map_err(what),
        }
    }

    /// Starts a transaction that will write: on SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`), so a concurrent writer waits for it
    /// (busy timeout) instead of failing when a read is upgraded to a write.
    /// Past [`BUSY_WAIT`] it is [`StoreError::Busy`].
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        let what = StoreError::query("starting a transaction");
        match &self.pool {
            Pool::Sqlite(p) => p
                .begin_with(sqlx::AssertSqlSafe("BEGIN IMMEDIATE"))
                .await
                .map(Tx::Sqlite)
                .map_err(|e| {
                    if is_busy(&e) {
                        StoreError::Busy {
                            holder: "another import or run",
                        }
                    } else {
                        what(e)
                    }
                }),
            Pool::Postgres(p) => p.begin().await.map(Tx::Postgres).map_err(what),
        }
    }

    /// Starts an import's transaction, which holds the store's write side
    /// from its start: on SQLite the write lock (`BEGIN IMMEDIATE`), on
    /// PostgreSQL an advisory lock only imports take. A second import
    /// waits up to [`BUSY_WAIT`] for the first, then fails at once with
    /// [`StoreError::Busy`], before reading its files.
    pub async fn begin_import(&self) -> Result<Tx, StoreError> {
        match &self.pool {
            Pool::Sqlite(_) => self.begin_write().await,
            Pool::Postgres(p) => {
                let what = StoreError::query("taking the import lock");
                let mut tx = p
                    .begin()
                    .await
                    .map_err(StoreError::query("starting a transaction"))?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SET LOCAL lock_timeout = '{}s'",
                    BUSY_WAIT.as_secs()
                )))
                .execute(&mut *tx)
                .await
                .map_err(StoreError::query("setting the lock timeout"))?;
                match sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(IMPORT_LOCK)
                    .execute(&mut *tx)
                    .await
                {
                    Ok(_) => {}
                    Err(e) if is_busy(&e) => {
                        return Err(StoreError::Busy {
                            holder: "another import",
                        });
                    }
                    Err(e) => return Err(what(e)),
                }
                sqlx::query("SET LOCAL lock_timeout = 0")
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::query("resetting the lock timeout"))?;
                Ok(Tx::Postgres(tx))
            }
        }
    }

    /// The SQLite pool, for the job queue that shares the database.
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.pool {
            Pool::Sqlite(p) => Some(p),
            Pool::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, for the job queue that shares the database.
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    /// Closes every connection (SQLite checkpoints its WAL).
    pub async fn close(self) {
        match self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
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
    /// The style of the transaction's backend.
    pub(crate) fn new(tx: &Tx) -> Params {
        Params::for_backend(tx.backend())
    }

    /// The style of a backend.
    pub(crate) fn for_backend(backend: Backend) -> Params {
        Params {
            numbered: backend == Backend::Postgres,
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

/// Appends ` AND column = ?` to `template` for each filter that is set;
/// returns the values to bind after the ones before, in order (the lists'
/// optional equality filters).
pub(crate) fn and_equal(template: &mut String, filters: &[(&str, &Option<String>)]) -> Vec<String> {
    let mut binds = Vec::new();
    for (column, value) in filters {
        if let Some(v) = value {
            template.push_str(&format!(" AND {column} = ?"));
            binds.push(v.clone());
        }
    }
    binds
}

/// A statement with its parameters written for the transaction's backend:
/// each `?` of `template` becomes `?` (SQLite) or `$N` (PostgreSQL).
pub(crate) fn statement(tx: &Tx, template: &str) -> String {
    let mut params = Params::new(tx);
    let mut sql = String::with_capacity(template.len() + 8);
    for (i, part) in template.split('?').enumerate() {
        if i > 0 {
            params.push(&mut sql);
        }
        sql.push_str(part);
    }
    sql
}

/// Inserts `rows` of `width` text values with `head` before the values and
/// `tail` after; returns the first column of `RETURNING` rows when `tail`
/// asks for them.
async fn insert_rows(
    tx: &mut Tx,
    head: &str,
    tail: &str,
    width: usize,
    rows: &[Vec<Option<String>>],
    what: &'static str,
) -> Result<Vec<Vec<String>>, StoreError> {
    let mut out = Vec::new();
    for batch in rows.chunks(2000) {
        let mut params = Params::new(tx);
        let mut sql = String::from(head);
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { " (" });
            params.list(&mut sql, width);
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(tail);
        let returned: Vec<Vec<String>> = on_tx!(tx, c => async {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in batch {
                for v in row {
                    q = q.bind(v.clone());
                }
            }
            let rows = q.fetch_all(&mut **c).await?;
            rows.iter()
                .map(|r| (0..r.len()).map(|i| r.try_get::<String, _>(i)).collect())
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)
        .map_err(StoreError::query(what))?;
        out.extend(returned);
    }
    Ok(out)
}

/// `UPDATE table SET column = value WHERE open AND (keys) IN (VALUES ...)`.
async fn close_rows(
    tx: &mut Tx,
    table: &str,
    column: &str,
    value: &str,
    keys: &[&str],
    rows: &[Vec<String>],
    what: &'static str,
) -> Result<(), StoreError> {
    for batch in rows.chunks(2000) {
        let mut params = Params::new(tx);
        let mut sql = format!("UPDATE {table} SET {column} = ");
        params.push(&mut sql);
        sql.push_str(&format!(
            " WHERE {column} IS NULL AND ({}) IN (VALUES ",
            keys.join(", ")
        ));
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            params.list(&mut sql, keys.len());
            sql.push(')');
        }
        sql.push(')');
        on_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value.to_string());
            for row in batch {
                for v in row {
                    q = q.bind(v.clone());
                }
            }
            q.execute(&mut **c).await.map(|_| ())
        })
        .map_err(StoreError::query(what))?;
    }
    Ok(())
}
