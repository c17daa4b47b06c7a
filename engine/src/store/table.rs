//! Batched comparisons and writes of the tables an import fills: a batch of
//! a file's rows compared with the stored ones in the database (one
//! statement per batch, returning only the rows that are new or may
//! differ), and writes: multi-row upserts (`INSERT … ON CONFLICT (key) DO
//! UPDATE`) on SQLite, `COPY` into a staging table merged by one upsert on
//! PostgreSQL.

use std::borrow::Cow;
use std::fmt::Write as _;

use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, AssertSqlSafe};

use super::{Backend, Params, StoreError, Tx, on_tx};

/// Parameters per statement: below SQLite's 32766 and PostgreSQL's 65535.
const MAX_PARAMS: usize = 30_000;

/// `COPY` text sent per statement (PostgreSQL). While one is copied, the
/// reader prepares the next (`import` queues as much for the writer): the
/// server copies one while the next is read.
pub const COPY_CHUNK: usize = 4 << 20;

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// TEXT (dates are ISO text too).
    Text,
    /// BIGINT (amounts in minor units).
    Int,
}

/// A value of a column; `None` is SQL NULL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Val {
    /// A TEXT value.
    Text(Option<String>),
    /// A BIGINT value.
    Int(Option<i64>),
    /// A value the file leaves unsaid (an absent column or an empty cell):
    /// a stored row keeps its own, a new row takes this default. Imports
    /// resolve it against the stored row before comparing or writing.
    Keep(Box<Val>),
}

impl Val {
    /// The text, if this is non-null text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Val::Text(t) => t.as_deref(),
            Val::Int(_) | Val::Keep(_) => None,
        }
    }

    /// The integer, if this is a non-null integer.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => *i,
            Val::Text(_) | Val::Keep(_) => None,
        }
    }
}

/// A row: the key columns (text), then the other columns, in table order.
pub type Row = Vec<Val>;

/// A table written by imports.
#[derive(Debug)]
pub struct Table {
    /// Its name.
    pub name: &'static str,
    /// The natural key (all TEXT).
    pub keys: &'static [&'static str],
    /// The other columns with their types.
    pub columns: &'static [(&'static str, ColumnType)],
    /// How many columns at the end of a row the import derives (from the
    /// stored row and the others) rather than reads from the file.
    pub derived: usize,
    /// SQL over the stored row `i`, true when a row equal to it on every
    /// column the file gives would leave the derived columns as stored;
    /// `None` when there are none. It mirrors the import's derivation
    /// (`import::rows::derive_item` for items): a probe that says "equal"
    /// must never hide a change.
    pub derived_kept: Option<&'static str>,
}

impl Table {
    /// The position of a column in this table's rows (keys first), for
    /// constants: `const STATUS: usize = ITEMS.position("status");`. An
    /// unknown name fails the build when used in a constant.
    pub const fn position(&self, column: &str) -> usize {
        let mut i = 0;
        while i < self.keys.len() {
            if same(self.keys[i], column) {
                return i;
            }
            i += 1;
        }
        let mut j = 0;
        while j < self.columns.len() {
            if same(self.columns[j].0, column) {
                return self.keys.len() + j;
            }
            j += 1;
        }
        panic!("no such column")
    }

    /// Columns in a row.
    pub fn width(&self) -> usize {
        self.keys.len() + self.columns.len()
    }

    fn column_list(&self) -> String {
        self.keys
            .iter()
            .copied()
            .chain(self.columns.iter().map(|(c, _)| *c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether the table has no row at all.
    pub async fn is_empty(&self, tx: &mut Tx) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {} LIMIT 1) AS one",
            self.name
        );
        let n: i64 =
            on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut **c).await)
                .map_err(StoreError::query("looking for stored rows"))?;
        Ok(n == 0)
    }

    /// The statements that compare rows of a file with the stored ones in
    /// the database, with their values bound: `rows` are the file's rows
    /// in order, each with a mask of what it leaves unsaid (bit `i` set:
    /// column `i` keeps the stored value). [`probe`] runs them and returns
    /// only the rows that are new or may differ from the stored ones (with
    /// the stored row): a row equal on every column the file gives, whose
    /// derived columns would stay ([`Table::derived_kept`]), is not
    /// returned. A caller can build them on its own thread.
    pub fn prepare_probe(
        &self,
        backend: Backend,
        rows: &[(&Row, u64)],
    ) -> Result<Probe, StoreError> {
        let width = self.width() + 2;
        let per_batch = (MAX_PARAMS / width).max(1);
        let same = if backend == Backend::Postgres {
            "IS NOT DISTINCT FROM"
        } else {
            "IS"
        };
        let given = self.columns.len() - self.derived;
        let mut condition = String::from("TRUE");
        for (j, (c, _)) in self.columns[..given].iter().enumerate() {
            let bit = 1u64 << (self.keys.len() + j);
            let _ = write!(
                condition,
                " AND ((v.unsaid & {bit}) <> 0 OR v.{c} {same} i.{c})"
            );
        }
        if let Some(kept) = self.derived_kept {
            let _ = write!(condition, " AND {kept}");
        }
        let on: Vec<String> = self.keys.iter().map(|k| format!("i.{k} = v.{k}")).collect();
        let stored: Vec<String> = self
            .keys
            .iter()
            .chain(self.columns.iter().map(|(c, _)| c))
            .map(|c| format!("i.{c}"))
            .collect();
        if backend == Backend::Postgres {
            // One statement whatever the rows: a column an array. Each row
            // looks its stored row up by key (`LATERAL … OFFSET 0`, which
            // the planner cannot turn into a hash join): a hash join would
            // read the whole table for every batch (and, past `work_mem`,
            // spill it to disk), as it does while the plan is custom.
            let sql = format!(
                "WITH v AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], {}) AS v (n, unsaid, {})) \
                 SELECT v.n, {} FROM v LEFT JOIN LATERAL (SELECT * FROM {} AS i WHERE {} OFFSET 0) AS i ON TRUE \
                 WHERE i.{} IS NULL OR NOT ({condition})",
                self.arrays(2, self.width()),
                self.column_list(),
                stored.join(", "),
                self.name,
                on.join(" AND "),
                self.keys[0],
            );
            let mut args = PgArguments::default();
            let n: Vec<i64> = (0..rows.len())
                .map(|i| i64::try_from(i).unwrap_or(i64::MAX))
                .collect();
            let unsaid: Vec<i64> = rows
                .iter()
                .map(|(_, u)| i64::try_from(*u).unwrap_or(0))
                .collect();
            let bound = args.add(n).and_then(|()| args.add(unsaid)).and_then(|()| {
                self.bind_columns(&mut args, rows.iter().map(|(r, _)| *r), self.width())
            });
            bound.map_err(|e| StoreError::Decode {
                what: "binding values",
                reason: e.to_string(),
            })?;
            return Ok(Probe {
                statements: Statements(vec![Statement {
                    sql,
                    values: Values::Postgres(args),
                }]),
            });
        }
        let mut statements = Vec::with_capacity(rows.len().div_ceil(per_batch));
        for (chunk, batch) in rows.chunks(per_batch).enumerate() {
            let mut sql = format!("WITH v (n, unsaid, {}) AS (VALUES ", self.column_list());
            let mut params = Params::for_backend(backend);
            for i in 0..batch.len() {
                sql.push_str(if i > 0 { ", (" } else { "(" });
                params.list(&mut sql, width);
                sql.push(')');
            }
            let _ = write!(
                sql,
                ") SELECT v.n, {} FROM v LEFT JOIN {} AS i ON {} WHERE i.{} IS NULL OR NOT ({condition})",
                stored.join(", "),
                self.name,
                on.join(" AND "),
                self.keys[0],
            );
            let first = chunk * per_batch;
            let values = batch.iter().enumerate().flat_map(|(i, (row, unsaid))| {
                let head = [
                    Val::Int(i64::try_from(first + i).ok()),
                    Val::Int(i64::try_from(*unsaid).ok()),
                ];
                head.into_iter()
                    .map(Cow::Owned)
                    .chain(row.iter().map(Cow::Borrowed))
            });
            statements.push(Statement::bound(backend, sql, values)?);
        }
        Ok(Probe {
            statements: Statements(statements),
        })
    }

    /// The statements that set `column` to `value` in the stored rows with
    /// these rows' keys (an import marking the rows it saw), with their
    /// values bound.
    pub fn prepare_mark(
        &self,
        backend: Backend,
        rows: &[&Row],
        column: &str,
        value: i64,
    ) -> Result<Statements, StoreError> {
        let nkeys = self.keys.len();
        if backend == Backend::Postgres {
            let on: Vec<String> = self
                .keys
                .iter()
                .map(|k| format!("{}.{k} = k.{k}", self.name))
                .collect();
            let sql = format!(
                "UPDATE {} SET {column} = $1 FROM unnest({}) AS k ({}) WHERE {}",
                self.name,
                self.arrays(1, nkeys),
                self.keys.join(", "),
                on.join(" AND ")
            );
            let mut args = PgArguments::default();
            let bound = args
                .add(value)
                .and_then(|()| self.bind_columns(&mut args, rows.iter().copied(), nkeys));
            bound.map_err(|e| StoreError::Decode {
                what: "binding values",
                reason: e.to_string(),
            })?;
            return Ok(Statements(vec![Statement {
                sql,
                values: Values::Postgres(args),
            }]));
        }
        let per_batch = (MAX_PARAMS / nkeys).max(1);
        let mut statements = Vec::with_capacity(rows.len().div_ceil(per_batch));
        for batch in rows.chunks(per_batch) {
            let mut params = Params::for_backend(backend);
            let mut sql = format!("UPDATE {} SET {column} = ", self.name);
            params.push(&mut sql);
            let _ = write!(sql, " WHERE ({}) IN (VALUES ", self.keys.join(", "));
            for i in 0..batch.len() {
                sql.push_str(if i > 0 { ", (" } else { "(" });
                params.list(&mut sql, nkeys);
                sql.push(')');
            }
            sql.push(')');
            let values = std::iter::once(Cow::Owned(Val::Int(Some(value)))).chain(
                batch
                    .iter()
                    .flat_map(|row| row[..nkeys].iter().map(Cow::Borrowed)),
            );
            statements.push(Statement::bound(backend, sql, values)?);
        }
        Ok(Statements(statements))
    }

    /// Rows to write, ready for the backend: on SQLite multi-row `INSERT`
    /// statements with their values bound (with `upsert`, rows replace the
    /// stored ones with the same key; without it, a row whose key is stored
    /// is left out); on PostgreSQL the rows as `COPY` text, which
    /// [`Writes`] copies into the table or its staging table. A caller can build them on
    /// its own thread, so that running them is all the database's thread
    /// has to do.
    pub fn prepare(
        &self,
        backend: Backend,
        rows: Vec<Row>,
        upsert: bool,
    ) -> Result<Prepared, StoreError> {
        if backend == Backend::Postgres {
            return Ok(Prepared::Copy(copy_text(rows)));
        }
        let per_batch = (MAX_PARAMS / self.width()).max(1);
        let mut statements = Vec::with_capacity(rows.len().div_ceil(per_batch));
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let batch: Vec<Row> = rows.by_ref().take(per_batch).collect();
            let mut sql = format!("INSERT INTO {} ({}) VALUES ", self.name, self.column_list());
            let mut params = Params::for_backend(backend);
            for i in 0..batch.len() {
                sql.push_str(if i > 0 { ", (" } else { "(" });
                params.list(&mut sql, self.width());
                sql.push(')');
            }
            sql.push(' ');
            sql.push_str(&self.on_conflict(upsert));
            // Owned: the text moves into the arguments, uncopied.
            let values = batch.into_iter().flatten().map(Cow::Owned);
            statements.push(Statement::bound(backend, sql, values)?);
        }
        Ok(Prepared::Statements(Statements(statements)))
    }

    /// PostgreSQL: `$k::text[], …`, the arrays of the first `width` columns
    /// of this table, from parameter `after + 1` on.
    fn arrays(&self, after: usize, width: usize) -> String {
        let arrays: Vec<String> = self
            .keys
            .iter()
            .map(|_| ColumnType::Text)
            .chain(self.columns.iter().map(|(_, t)| *t))
            .take(width)
            .enumerate()
            .map(|(i, t)| {
                let ty = match t {
                    ColumnType::Text => "text",
                    ColumnType::Int => "bigint",
                };
                format!("${}::{ty}[]", after + i + 1)
            })
            .collect();
        arrays.join(", ")
    }

    /// PostgreSQL: binds the first `width` columns of `rows`, one array a
    /// column (an unresolved `Keep` binds its default).
    fn bind_columns<'r>(
        &self,
        args: &mut PgArguments,
        rows: impl Iterator<Item = &'r Row> + Clone,
        width: usize,
    ) -> Result<(), sqlx::error::BoxDynError> {
        let types = self
            .keys
            .iter()
            .map(|_| ColumnType::Text)
            .chain(self.columns.iter().map(|(_, t)| *t))
            .take(width);
        for (i, ty) in types.enumerate() {
            let cells = rows.clone().map(|row| row.get(i).map(resolved));
            match ty {
                ColumnType::Text => {
                    let column: Vec<Option<&str>> =
                        cells.map(|v| v.and_then(Val::as_text)).collect();
                    args.add(column)?;
                }
                ColumnType::Int => {
                    let column: Vec<Option<i64>> = cells.map(|v| v.and_then(Val::as_int)).collect();
                    args.add(column)?;
                }
            }
        }
        Ok(())
    }

    /// `ON CONFLICT (key) DO …`: replace the stored row with `upsert`, else
    /// keep it.
    fn on_conflict(&self, upsert: bool) -> String {
        let mut sql = format!("ON CONFLICT ({}) DO ", self.keys.join(", "));
        if self.columns.is_empty() || !upsert {
            sql.push_str("NOTHING");
        } else {
            sql.push_str("UPDATE SET ");
            for (i, (c, _)) in self.columns.iter().enumerate() {
                let _ = write!(sql, "{}{c} = excluded.{c}", if i > 0 { ", " } else { "" });
            }
        }
        sql
    }

    /// The PostgreSQL staging table of this table (a temporary table of
    /// the transaction).
    fn staging(&self) -> String {
        format!("relance_staged_{}", self.name)
    }
}

/// The writes of one file into its table. On SQLite each batch is written
/// when it comes. On PostgreSQL batches are copied (`COPY … FROM STDIN`,
/// text format, [`COPY_CHUNK`] at a time): straight into a table that had
/// no rows when the file began (its indexes dropped before the first of
/// several copies and built again by [`Writes::finish`]), else into a
/// temporary staging table, which [`Writes::finish`] merges into the table
/// in one `INSERT … SELECT … ON CONFLICT … DO UPDATE`, in the same
/// transaction.
#[derive(Debug)]
pub struct Writes {
    /// The table written.
    table: &'static Table,
    /// Whether the table had no rows when the writes began: no row can
    /// conflict (the caller's rows have distinct keys), so on PostgreSQL
    /// rows are copied straight into it; else rows replace the stored ones
    /// with the same key.
    into_empty: bool,
    /// PostgreSQL: whether the staging table exists and has rows to merge.
    staged: bool,
    /// PostgreSQL: `COPY` text not yet sent (the batches as prepared, not
    /// copied into one buffer), sent by [`COPY_CHUNK`].
    pending: Vec<Vec<u8>>,
    /// PostgreSQL: the bytes in `pending`.
    pending_bytes: usize,
    /// PostgreSQL: whether the indexes were dropped before a large copy
    /// into an empty table ([`defer_indexes`]).
    deferred: bool,
    /// PostgreSQL: the statements that build them again, run by
    /// [`Writes::finish`].
    rebuild: Vec<String>,
}

impl Writes {
    /// Writes into `table`, which had no rows when the writes began
    /// (`into_empty`: rows with distinct keys are copied straight into it
    /// on PostgreSQL), else replacing stored rows with the same key.
    pub fn new(table: &'static Table, into_empty: bool) -> Writes {
        Writes {
            table,
            into_empty,
            staged: false,
            pending: Vec::new(),
            pending_bytes: 0,
            deferred: false,
            rebuild: Vec::new(),
        }
    }

    /// Writes rows.
    pub async fn write(&mut self, tx: &mut Tx, rows: Vec<Row>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let prepared = self.table.prepare(tx.backend(), rows, !self.into_empty)?;
        self.run(tx, prepared).await
    }

    /// Writes rows prepared by [`Table::prepare`] (with `upsert` unless
    /// `into_empty`).
    pub async fn run(&mut self, tx: &mut Tx, prepared: Prepared) -> Result<(), StoreError> {
        match prepared {
            Prepared::Statements(statements) => statements.run(tx).await,
            Prepared::Copy(data) => {
                self.pending_bytes += data.len();
                self.pending.push(data);
                if self.pending_bytes >= COPY_CHUNK {
                    if self.into_empty && !self.deferred {
                        // The first of several copies into an empty table.
                        self.rebuild = defer_indexes(tx, self.table.name).await?;
                        self.deferred = true;
                    }
                    self.copy(tx).await?;
                }
                Ok(())
            }
        }
    }

    /// Copies the pending rows into the staging table (created by the
    /// first copy), in one `COPY` statement.
    async fn copy(&mut self, tx: &mut Tx) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let Tx::Postgres(c) = tx else {
            return Err(other_backend());
        };
        let staging = if self.into_empty {
            self.table.name.to_string()
        } else {
            self.table.staging()
        };
        if !self.staged && !self.into_empty {
            let sql = format!(
                "CREATE TEMPORARY TABLE {staging} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP",
                self.table.name
            );
            sqlx::query(AssertSqlSafe(sql))
                .execute(&mut **c)
                .await
                .map_err(StoreError::query("creating the staging table"))?;
            self.staged = true;
        }
        let sql = format!("COPY {staging} ({}) FROM STDIN", self.table.column_list());
        let mut copy = c
            .copy_in_raw(&sql)
            .await
            .map_err(StoreError::query("copying rows"))?;
        self.pending_bytes = 0;
        for data in std::mem::take(&mut self.pending) {
            copy.send(data)
                .await
                .map_err(StoreError::query("copying rows"))?;
        }
        copy.finish()
            .await
            .map_err(StoreError::query("copying rows"))?;
        Ok(())
    }

    /// Copies what is pending, merges what was staged into the table
    /// (PostgreSQL) and drops the staging table; nothing to do on SQLite.
    pub async fn finish(mut self, tx: &mut Tx) -> Result<(), StoreError> {
        self.copy(tx).await?;
        let Tx::Postgres(c) = tx else {
            return Ok(());
        };
        for sql in std::mem::take(&mut self.rebuild) {
            sqlx::query(AssertSqlSafe(sql))
                .execute(&mut **c)
                .await
                .map_err(StoreError::query("building the table's indexes"))?;
        }
        if !self.staged {
            return Ok(());
        }
        let columns = self.table.column_list();
        let staging = self.table.staging();
        let sql = format!(
            "INSERT INTO {} ({columns}) SELECT {columns} FROM {staging} {}",
            self.table.name,
            self.table.on_conflict(true)
        );
        sqlx::query(AssertSqlSafe(sql))
            .execute(&mut **c)
            .await
            .map_err(StoreError::query("merging the staged rows"))?;
        sqlx::query(AssertSqlSafe(format!("DROP TABLE {staging}")))
            .execute(&mut **c)
            .await
            .map_err(StoreError::query("dropping the staging table"))?;
        Ok(())
    }
}

/// Drops the indexes of `table` (PostgreSQL), its primary key included,
/// and returns the statements that build them again. A table that was
/// empty when a large file began is filled first and indexed after, in the
/// import's transaction: building an index from a million rows sorted once
/// costs the server less than inserting each row into it (`COPY` of 1M
/// items: 2.7 s with the two indexes, 0.8 s without, then 1.4 s to build
/// both). No row can break the primary key meanwhile: the import refuses a
/// file with a duplicate key before any of its rows is written (a bad row
/// stops the writes). Until the import commits, the table is locked:
/// another connection reading it waits instead of seeing it empty.
async fn defer_indexes(tx: &mut Tx, table: &str) -> Result<Vec<String>, StoreError> {
    let Tx::Postgres(c) = tx else {
        return Ok(Vec::new());
    };
    let failed = || StoreError::query("dropping the table's indexes");
    // Each index, with the constraint it backs (the primary key), if any.
    let sql = "SELECT i.relname::text, pg_get_indexdef(i.oid), k.conname::text, \
               pg_get_constraintdef(k.oid) \
               FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
               LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid AND k.conrelid = x.indrelid \
               WHERE x.indrelid = $1::regclass ORDER BY k.conname NULLS LAST, i.relname";
    let indexes: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(sql)
        .bind(table)
        .fetch_all(&mut **c)
        .await
        .map_err(failed())?;
    let mut rebuild = Vec::with_capacity(indexes.len());
    for (index, definition, constraint, constraint_definition) in indexes {
        let (drop, build) = match (constraint, constraint_definition) {
            (Some(name), Some(def)) => (
                format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\""),
                format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {def}"),
            ),
            _ => (format!("DROP INDEX \"{index}\""), definition),
        };
        sqlx::query(AssertSqlSafe(drop))
            .execute(&mut **c)
            .await
            .map_err(failed())?;
        rebuild.push(build);
    }
    Ok(rebuild)
}

/// Rows ready to write, built by [`Table::prepare`].
#[derive(Debug)]
pub enum Prepared {
    /// SQLite: statements with their values bound.
    Statements(Statements),
    /// PostgreSQL: the rows as `COPY` text.
    Copy(Vec<u8>),
}

/// The comparison of a batch of a file's rows with the stored ones, built
/// by [`Table::prepare_probe`].
#[derive(Debug)]
pub struct Probe {
    /// The statements, each returning the rows that differ.
    statements: Statements,
}

/// Runs a [`Probe`]: the position in the batch of each row that is new or
/// may differ from the stored one, with the stored row (`None` for a new
/// one), in the batch's order.
pub async fn probe(
    tx: &mut Tx,
    table: &Table,
    probe: Probe,
) -> Result<Vec<(usize, Option<Row>)>, StoreError> {
    let mut found = Vec::new();
    if let Tx::Postgres(c) = &mut *tx {
        // The planner prices a comparison of 50,000 rows high enough to
        // compile it (JIT) while its plan is custom, the first five times:
        // some 350 ms each, more than the comparison. Until the import's
        // transaction ends.
        sqlx::query("SET LOCAL jit = off")
            .execute(&mut **c)
            .await
            .map_err(StoreError::query("comparing with the stored rows"))?;
    }
    for Statement { sql, values } in probe.statements.0 {
        let rows = match (&mut *tx, values) {
            (Tx::Sqlite(c), Values::Sqlite(args)) => {
                let rows = sqlx::query_with(AssertSqlSafe(sql), args)
                    .fetch_all(&mut **c)
                    .await
                    .map_err(StoreError::query("comparing with the stored rows"))?;
                decode_probed(table, &rows)?
            }
            (Tx::Postgres(c), Values::Postgres(args)) => {
                let rows = sqlx::query_with(AssertSqlSafe(sql), args)
                    .fetch_all(&mut **c)
                    .await
                    .map_err(StoreError::query("comparing with the stored rows"))?;
                decode_probed(table, &rows)?
            }
            _ => return Err(other_backend()),
        };
        found.extend(rows);
    }
    found.sort_unstable_by_key(|(n, _)| *n);
    Ok(found)
}

/// The rows a probe returned: the position, then the stored row (all NULL
/// for a new row).
fn decode_probed<R>(table: &Table, rows: &[R]) -> Result<Vec<(usize, Option<Row>)>, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let what = || StoreError::query("reading the stored rows");
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let n: i64 = row.try_get(0).map_err(what())?;
        let n = usize::try_from(n).map_err(|e| StoreError::Decode {
            what: "reading the stored rows",
            reason: e.to_string(),
        })?;
        let first: Option<String> = row.try_get(1).map_err(what())?;
        if first.is_none() {
            out.push((n, None));
            continue;
        }
        let mut values = Vec::with_capacity(table.width());
        values.push(Val::Text(first));
        for i in 1..table.keys.len() {
            values.push(Val::Text(row.try_get(1 + i).map_err(what())?));
        }
        for (j, (_, kind)) in table.columns.iter().enumerate() {
            let i = 1 + table.keys.len() + j;
            values.push(match kind {
                ColumnType::Text => Val::Text(row.try_get(i).map_err(what())?),
                ColumnType::Int => Val::Int(row.try_get(i).map_err(what())?),
            });
        }
        out.push((n, Some(values)));
    }
    Ok(out)
}

/// A statement with its values bound.
#[derive(Debug)]
struct Statement {
    /// The SQL.
    sql: String,
    /// Its values, for the backend it was written for.
    values: Values,
}

impl Statement {
    /// `sql` with `values` bound for `backend` (an unresolved `Keep` binds
    /// its default).
    fn bound<'v>(
        backend: Backend,
        sql: String,
        values: impl Iterator<Item = Cow<'v, Val>>,
    ) -> Result<Statement, StoreError> {
        let values = match backend {
            Backend::Sqlite => bind(SqliteArguments::default(), values).map(Values::Sqlite),
            Backend::Postgres => bind(PgArguments::default(), values).map(Values::Postgres),
        }
        .map_err(|e| StoreError::Decode {
            what: "binding values",
            reason: e.to_string(),
        })?;
        Ok(Statement { sql, values })
    }
}

/// Statements with their values bound, run in order by [`Statements::run`].
#[derive(Debug)]
pub struct Statements(Vec<Statement>);

impl Statements {
    /// Runs the statements in `tx`, in order.
    pub async fn run(self, tx: &mut Tx) -> Result<(), StoreError> {
        for Statement { sql, values } in self.0 {
            let done = match (&mut *tx, values) {
                (Tx::Sqlite(c), Values::Sqlite(args)) => sqlx::query_with(AssertSqlSafe(sql), args)
                    .execute(&mut **c)
                    .await
                    .map(|_| ()),
                (Tx::Postgres(c), Values::Postgres(args)) => {
                    sqlx::query_with(AssertSqlSafe(sql), args)
                        .execute(&mut **c)
                        .await
                        .map(|_| ())
                }
                _ => return Err(other_backend()),
            };
            done.map_err(StoreError::query("writing rows"))?;
        }
        Ok(())
    }
}

fn other_backend() -> StoreError {
    StoreError::Decode {
        what: "writing rows",
        reason: "statements prepared for another backend".into(),
    }
}

#[derive(Debug)]
enum Values {
    Sqlite(SqliteArguments),
    Postgres(PgArguments),
}

/// The value a `Keep` left unresolved writes: its default.
fn resolved(mut v: &Val) -> &Val {
    while let Val::Keep(default) = v {
        v = default;
    }
    v
}

/// Binds every value in order; owned text moves into the arguments (a
/// borrowed one is copied).
fn bind<'v, A>(
    mut args: A,
    values: impl Iterator<Item = Cow<'v, Val>>,
) -> Result<A, sqlx::error::BoxDynError>
where
    A: Arguments,
    for<'q> Option<&'q str>: sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
    Option<String>: for<'q> sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
    Option<i64>: for<'q> sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
{
    for v in values {
        match v {
            Cow::Borrowed(v) => match resolved(v) {
                Val::Text(t) => args.add(t.as_deref())?,
                Val::Int(i) => args.add(*i)?,
                Val::Keep(_) => {}
            },
            Cow::Owned(mut v) => {
                while let Val::Keep(default) = v {
                    v = *default;
                }
                match v {
                    Val::Text(t) => args.add(t)?,
                    Val::Int(i) => args.add(i)?,
                    Val::Keep(_) => {}
                }
            }
        }
    }
    Ok(args)
}

/// Rows in PostgreSQL's `COPY` text format: tab-separated, `\N` for NULL,
/// backslash, tab, line feed and carriage return escaped, one line a row.
fn copy_text(rows: Vec<Row>) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 128);
    for row in &rows {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                out.push(b'\t');
            }
            match resolved(v) {
                Val::Text(None) | Val::Int(None) | Val::Keep(_) => out.extend_from_slice(b"\\N"),
                Val::Int(Some(n)) => {
                    let _ = write!(Bytes(&mut out), "{n}");
                }
                Val::Text(Some(s))
                    if !s
                        .bytes()
                        .any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) =>
                {
                    out.extend_from_slice(s.as_bytes());
                }
                Val::Text(Some(s)) => {
                    for &b in s.as_bytes() {
                        match b {
                            b'\\' => out.extend_from_slice(b"\\\\"),
                            b'\t' => out.extend_from_slice(b"\\t"),
                            b'\n' => out.extend_from_slice(b"\\n"),
                            b'\r' => out.extend_from_slice(b"\\r"),
                            _ => out.push(b),
                        }
                    }
                }
            }
        }
        out.push(b'\n');
    }
    out
}

/// `fmt::Write` into bytes.
struct Bytes<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// `a == b` for `const fn`s.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The tables imports fill, with their columns in the order rows carry them.
pub mod tables {
    use super::{ColumnType, Table};

    /// `customers`
    pub const CUSTOMERS: Table = Table {
        derived: 0,
        derived_kept: None,
        name: "customers",
        keys: &["code"],
        columns: &[
            ("name", ColumnType::Text),
            ("language", ColumnType::Text),
            ("timezone", ColumnType::Text),
            ("scenario", ColumnType::Text),
            ("group_leader", ColumnType::Text),
            ("credit_limit", ColumnType::Int),
            ("currency", ColumnType::Text),
            ("custom", ColumnType::Text),
            ("address", ColumnType::Text),
            ("postcode", ColumnType::Text),
            ("city", ColumnType::Text),
            ("country", ColumnType::Text),
        ],
    };

    /// `colleagues`
    pub const COLLEAGUES: Table = Table {
        derived: 0,
        derived_kept: None,
        name: "colleagues",
        keys: &["email"],
        columns: &[
            ("name", ColumnType::Text),
            ("role", ColumnType::Text),
            ("phone", ColumnType::Text),
        ],
    };

    /// `contacts`
    pub const CONTACTS: Table = Table {
        derived: 0,
        derived_kept: None,
        name: "contacts",
        keys: &["customer", "email"],
        columns: &[
            ("name", ColumnType::Text),
            ("role", ColumnType::Text),
            ("language", ColumnType::Text),
            ("phone", ColumnType::Text),
        ],
    };

    /// `assignments` (all key: a row is there or not)
    pub const ASSIGNMENTS: Table = Table {
        derived: 0,
        derived_kept: None,
        name: "assignments",
        keys: &["customer", "role", "colleague"],
        columns: &[],
    };

    /// `items`; the last three columns are derived by the import, not read.
    pub const ITEMS: Table = Table {
        derived: 3,
        // `status_since` is kept with an equal status, and none without
        // one; `cleared_on` is none while something remains, and kept
        // (else the import date) once nothing does.
        derived_kept: Some(
            "(i.status IS NOT NULL OR i.status_since IS NULL) \
             AND ((i.remaining > 0) = (i.cleared_on IS NULL))",
        ),
        name: "items",
        keys: &["customer", "reference"],
        columns: &[
            ("type", ColumnType::Text),
            ("issue_date", ColumnType::Text),
            ("due_date", ColumnType::Text),
            ("amount", ColumnType::Int),
            ("remaining", ColumnType::Int),
            ("currency", ColumnType::Text),
            ("status", ColumnType::Text),
            ("promise_date", ColumnType::Text),
            ("comment", ColumnType::Text),
            ("custom", ColumnType::Text),
            ("status_since", ColumnType::Text),
            ("cleared_on", ColumnType::Text),
            ("seen_import", ColumnType::Int),
        ],
    };

    /// Columns at the end of an items row that the import derives.
    pub const ITEMS_DERIVED: usize = ITEMS.derived;
}
