//! Where the rows come from: a transaction of the store (each query's rows
//! fetched as one JSON text) or [`FileReader`], a connection of its own to
//! the SQLite file stepped on the calling thread; and how a query's `IN
//! ({})` lists are written for either backend.

use sqlx::AssertSqlSafe;

use super::super::{Backend, StoreError, Tx};
use super::{AccountFacts, Codes, ItemColumns, Scope, read, scope};

/// Where [`read`] takes its rows from.
pub(super) enum Source<'s> {
    /// A transaction of the store: each query's rows come back from sqlx's
    /// thread as one JSON text.
    Tx(&'s mut Tx),
    /// A connection of its own to the SQLite file, stepped row by row on
    /// the calling thread: nothing is encoded, nothing crosses threads.
    File(&'s mut rusqlite::Connection),
}

/// A row [`read`] selects, decoded from any source: JSON (a SQLite
/// transaction), PostgreSQL's rows, the SQLite file's rows.
pub(super) trait Row:
    serde::de::DeserializeOwned
    + for<'r> TryFrom<&'r rusqlite::Row<'r>, Error = rusqlite::Error>
    + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
    + Send
    + Unpin
{
}

impl<T> Row for T where
    T: serde::de::DeserializeOwned
        + for<'r> TryFrom<&'r rusqlite::Row<'r>, Error = rusqlite::Error>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin
{
}

/// Runs `SELECT cols FROM rest` (ORDER BY included), each `col IN ({})` of
/// `rest` written for `scope` by [`with_list`], and returns its rows.
pub(super) async fn select<T: Row>(
    src: &mut Source<'_>,
    cols: &[&str],
    rest: &str,
    scope: Scope<'_>,
    what: &'static str,
) -> Result<Vec<T>, StoreError> {
    match src {
        Source::Tx(Tx::Postgres(c)) => pg_rows(c, cols, rest, scope, what).await,
        Source::Tx(tx) => json_rows(tx, cols, rest, scope, what).await,
        Source::File(conn) => file_rows(conn, cols, rest, scope, what),
    }
}

/// [`select`] for a statement whose order is `order` (`col, col…`), which
/// `sort` gives in Rust: PostgreSQL returns the rows unsorted and `sort`
/// puts them in byte order (sorting ten thousand rows in the server's
/// collation took longer than finding them), SQLite sorts them itself (its
/// text order is byte order).
pub(super) async fn select_sorted<T: Row>(
    src: &mut Source<'_>,
    cols: &[&str],
    (rest, order): (&str, &str),
    scope: Scope<'_>,
    what: &'static str,
    sort: fn(&mut [T]),
) -> Result<Vec<T>, StoreError> {
    if let Source::Tx(Tx::Postgres(c)) = src {
        let mut rows = pg_rows(c, cols, rest, scope, what).await?;
        sort(&mut rows);
        return Ok(rows);
    }
    select(src, cols, &format!("{rest} ORDER BY {order}"), scope, what).await
}

/// [`select`] on PostgreSQL: the rows come in the binary protocol, decoded
/// as they arrive (no thread hand-off per row, unlike sqlx's SQLite), the
/// codes bound once as a `text[]`.
async fn pg_rows<T: Row>(
    conn: &mut sqlx::PgConnection,
    cols: &[&str],
    rest: &str,
    scope: Scope<'_>,
    what: &'static str,
) -> Result<Vec<T>, StoreError> {
    let Scope::Codes(codes) = scope else {
        return Err(StoreError::Decode {
            what,
            reason: "a range of codes is read on SQLite only".into(),
        });
    };
    let sql = format!(
        "SELECT {} FROM {}",
        cols.join(", "),
        with_list(Backend::Postgres, rest, scope)
    );
    let mut q = sqlx::query_as::<_, T>(AssertSqlSafe(sql));
    if rest.contains("{}") {
        q = q.bind(codes.iter().map(|c| c.to_string()).collect::<Vec<String>>());
    }
    q.fetch_all(conn).await.map_err(StoreError::query(what))
}

/// [`select`] on a connection to the SQLite file.
fn file_rows<T: Row>(
    conn: &rusqlite::Connection,
    cols: &[&str],
    rest: &str,
    scope: Scope<'_>,
    what: &'static str,
) -> Result<Vec<T>, StoreError> {
    let sql = format!(
        "SELECT {} FROM {}",
        cols.join(", "),
        with_list(Backend::Sqlite, rest, scope)
    );
    let failed = StoreError::file(what);
    let mut statement = conn.prepare(&sql).map_err(&failed)?;
    let found = match scope {
        Scope::Codes(codes) => statement.query([codes_json(codes, what)?]),
        Scope::Range(first, last) => statement.query([first, last]),
    };
    found
        .and_then(|found| found.mapped(|row| T::try_from(row)).collect())
        .map_err(failed)
}

/// Codes as one JSON array, read by `json_each` in SQLite queries.
fn codes_json(codes: &[&str], what: &'static str) -> Result<String, StoreError> {
    serde_json::to_string(codes).map_err(|e| StoreError::Decode {
        what,
        reason: e.to_string(),
    })
}

/// Runs `SELECT cols FROM rest` (ORDER BY included), each `col IN ({})` of
/// `rest` written for `scope` by [`with_list`], and returns its rows,
/// fetched as one JSON array: a single row crosses from the database to us
/// instead of thousands, which is what reading costs with sqlx (a thread
/// hand-off per row).
async fn json_rows<T: serde::de::DeserializeOwned>(
    tx: &mut Tx,
    cols: &[&str],
    rest: &str,
    scope: Scope<'_>,
    what: &'static str,
) -> Result<Vec<T>, StoreError> {
    let rest = with_list(tx.backend(), rest, scope);
    let aliased: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} AS c{i}"))
        .collect();
    let names: Vec<String> = (0..cols.len()).map(|i| format!("c{i}")).collect();
    let inner = format!("SELECT {} FROM {rest}", aliased.join(", "));
    let text: String = match tx {
        Tx::Sqlite(c) => {
            let sql = format!(
                "SELECT json_group_array(json_array({})) FROM ({inner})",
                names.join(", ")
            );
            let q = sqlx::query_scalar(AssertSqlSafe(sql));
            let q = match scope {
                // The codes as one JSON array, read by json_each in the query.
                Scope::Codes(codes) => q.bind(codes_json(codes, what)?),
                Scope::Range(first, last) => q.bind(first.to_string()).bind(last.to_string()),
            };
            q.fetch_one(&mut **c).await
        }
        Tx::Postgres(_) => {
            return Err(StoreError::Decode {
                what,
                reason: "PostgreSQL rows are read by pg_rows".into(),
            });
        }
    }
    .map_err(StoreError::query(what))?;
    serde_json::from_str(&text).map_err(|e| StoreError::Decode {
        what,
        reason: e.to_string(),
    })
}

/// `template` with each `col IN ({})` written for `scope`: on SQLite a
/// list is one JSON array parameter read with `json_each` (binding a
/// thousand codes one by one costs more than the query) and a range is
/// `col BETWEEN ?1 AND ?2`; on PostgreSQL a list is one `text[]` parameter
/// (sent binary, planned once) read as a set, `col IN (SELECT unnest($1))`:
/// a semi-join, where `col = ANY($1)` would search the array linearly for
/// each row of a table whose statistics say it is empty (a generic plan of
/// a fresh store's `alerts`).
fn with_list(backend: Backend, template: &str, scope: Scope<'_>) -> String {
    match (scope, backend) {
        (Scope::Range(..), _) => template.replace(" IN ({})", " BETWEEN ?1 AND ?2"),
        (Scope::Codes(_), Backend::Sqlite) => {
            template.replace("{}", "SELECT value FROM json_each(?1)")
        }
        (Scope::Codes(_), Backend::Postgres) => template.replace("{}", "SELECT unnest($1::text[])"),
    }
}

/// A read-only connection of its own to a SQLite store's file, its pages
/// read through a memory map. Its calls block.
pub fn read_only(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    use rusqlite::OpenFlags;
    let what = "opening the store file for reading";
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(StoreError::file(what))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .and_then(|()| conn.pragma_update(None, "mmap_size", super::super::MMAP_SIZE))
        .map_err(StoreError::file(what))?;
    Ok(conn)
}

/// A connection of its own to a SQLite store's file, reading pages of
/// accounts without sqlx: rows are stepped on the calling thread instead of
/// being encoded as JSON and handed across threads, which makes reading a
/// page several times cheaper (docs/planning.md, "Performance"). Its calls
/// block: use it from a blocking thread.
pub struct FileReader {
    conn: rusqlite::Connection,
}

impl std::fmt::Debug for FileReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileReader").finish_non_exhaustive()
    }
}

impl FileReader {
    /// Opens `path`, read-only.
    pub fn open(path: &std::path::Path) -> Result<FileReader, StoreError> {
        Ok(FileReader {
            conn: read_only(path)?,
        })
    }

    /// As [`accounts_in`](super::accounts_in), in a read transaction of its own.
    pub fn accounts(
        &mut self,
        codes: &[String],
        kind: Codes,
        columns: ItemColumns,
    ) -> Result<Vec<AccountFacts>, StoreError> {
        let listed: Vec<&str> = codes.iter().map(String::as_str).collect();
        let Some(scope) = scope(Backend::Sqlite, &listed, kind) else {
            return Ok(Vec::new());
        };
        let what = "reading accounts";
        self.conn
            .execute_batch("BEGIN")
            .map_err(StoreError::file(what))?;
        // Reading a file never waits on anything: the future is ready on
        // its first poll.
        let read = {
            let mut source = Source::File(&mut self.conn);
            let future = std::pin::pin!(read(&mut source, scope, columns));
            match future.poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
                std::task::Poll::Ready(read) => read,
                std::task::Poll::Pending => Err(StoreError::Decode {
                    what,
                    reason: "reading the file waited".into(),
                }),
            }
        };
        let ended = self.conn.execute_batch("ROLLBACK");
        let accounts = read?;
        ended.map_err(StoreError::file(what))?;
        Ok(accounts)
    }
}
