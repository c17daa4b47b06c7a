//! Batched reads and writes of the tables an import fills: the rows already
//! stored for a set of keys (one statement per batch), and multi-row upserts
//! (`INSERT … ON CONFLICT (key) DO UPDATE`).

use foldhash::{HashMap, HashMapExt as _};
use std::fmt::Write as _;

use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, AssertSqlSafe, Row as _};

use super::{Backend, Params, StoreError, Tx, on_tx};

/// Parameters per statement: below SQLite's 32766 and PostgreSQL's 65535.
const MAX_PARAMS: usize = 30_000;

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

    /// The stored rows for these keys, by key.
    pub async fn existing(
        &self,
        tx: &mut Tx,
        keys: &[Vec<String>],
    ) -> Result<HashMap<Vec<String>, Row>, StoreError> {
        let mut found = HashMap::with_capacity(keys.len());
        let per_batch = (MAX_PARAMS / self.keys.len()).max(1);
        for batch in keys.chunks(per_batch) {
            let mut sql = format!("SELECT {} FROM {} WHERE ", self.column_list(), self.name);
            let mut params = Params::new(tx);
            if self.keys.len() == 1 {
                let _ = write!(sql, "{} IN (", self.keys[0]);
                params.list(&mut sql, batch.len());
                sql.push(')');
            } else {
                let _ = write!(sql, "({}) IN (VALUES ", self.keys.join(", "));
                for i in 0..batch.len() {
                    sql.push_str(if i > 0 { ", (" } else { "(" });
                    params.list(&mut sql, self.keys.len());
                    sql.push(')');
                }
                sql.push(')');
            }
            let nkeys = self.keys.len();
            let rows: Vec<(Vec<String>, Row)> = on_tx!(tx, c => {
                let mut query = sqlx::query(AssertSqlSafe(sql));
                for key in batch {
                    for part in key {
                        query = query.bind(part.as_str());
                    }
                }
                let rows = query
                    .fetch_all(&mut **c)
                    .await
                    .map_err(StoreError::query("reading stored rows"))?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let mut values = Vec::with_capacity(self.width());
                    let mut key = Vec::with_capacity(nkeys);
                    for i in 0..nkeys {
                        let k: String = row.try_get(i).map_err(StoreError::query("reading a key"))?;
                        key.push(k.clone());
                        values.push(Val::Text(Some(k)));
                    }
                    for (j, (_, kind)) in self.columns.iter().enumerate() {
                        let i = nkeys + j;
                        let what = StoreError::query("reading a column");
                        values.push(match kind {
                            ColumnType::Text => Val::Text(row.try_get(i).map_err(what)?),
                            ColumnType::Int => Val::Int(row.try_get(i).map_err(what)?),
                        });
                    }
                    out.push((key, values));
                }
                out
            });
            found.extend(rows);
        }
        Ok(found)
    }

    /// Inserts rows; with `upsert`, rows replace the stored ones with the
    /// same key (without it, a row whose key is stored is left out).
    pub async fn write(&self, tx: &mut Tx, rows: Vec<Row>, upsert: bool) -> Result<(), StoreError> {
        let statements = self.prepare(tx.backend(), rows, upsert)?;
        execute(tx, statements).await
    }

    /// The statements that [`write`](Self::write) runs, with their values
    /// bound: a caller can build them on its own thread, so that running
    /// them is all the database's thread has to do.
    pub fn prepare(
        &self,
        backend: Backend,
        rows: Vec<Row>,
        upsert: bool,
    ) -> Result<Vec<Prepared>, StoreError> {
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
            let _ = write!(sql, " ON CONFLICT ({}) DO ", self.keys.join(", "));
            if self.columns.is_empty() || !upsert {
                sql.push_str("NOTHING");
            } else {
                sql.push_str("UPDATE SET ");
                for (i, (c, _)) in self.columns.iter().enumerate() {
                    let _ = write!(sql, "{}{c} = excluded.{c}", if i > 0 { ", " } else { "" });
                }
            }
            let values = batch.into_iter().flatten();
            let bound = match backend {
                Backend::Sqlite => bind(SqliteArguments::default(), values).map(Values::Sqlite),
                Backend::Postgres => bind(PgArguments::default(), values).map(Values::Postgres),
            }
            .map_err(|e| StoreError::Decode {
                what: "binding values",
                reason: e.to_string(),
            })?;
            statements.push(Prepared { sql, values: bound });
        }
        Ok(statements)
    }
}

/// A statement with its values bound, built by [`Table::prepare`].
#[derive(Debug)]
pub struct Prepared {
    /// The SQL.
    sql: String,
    /// Its values, for the backend it was written for.
    values: Values,
}

#[derive(Debug)]
enum Values {
    Sqlite(SqliteArguments),
    Postgres(PgArguments),
}

/// Binds every value in order.
fn bind<A>(mut args: A, values: impl Iterator<Item = Val>) -> Result<A, sqlx::error::BoxDynError>
where
    A: Arguments,
    Option<String>: for<'q> sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
    Option<i64>: for<'q> sqlx::Encode<'q, A::Database> + sqlx::Type<A::Database>,
{
    for mut v in values {
        // A `Keep` left unresolved writes its default.
        while let Val::Keep(default) = v {
            v = *default;
        }
        match v {
            Val::Text(t) => args.add(t)?,
            Val::Int(i) => args.add(i)?,
            Val::Keep(_) => {}
        }
    }
    Ok(args)
}

/// Runs prepared statements in `tx`, in order.
pub async fn execute(tx: &mut Tx, statements: Vec<Prepared>) -> Result<(), StoreError> {
    for Prepared { sql, values } in statements {
        let done = match (&mut *tx, values) {
            (Tx::Sqlite(c), Values::Sqlite(args)) => sqlx::query_with(AssertSqlSafe(sql), args)
                .execute(&mut **c)
                .await
                .map(|_| ()),
            (Tx::Postgres(c), Values::Postgres(args)) => sqlx::query_with(AssertSqlSafe(sql), args)
                .execute(&mut **c)
                .await
                .map(|_| ()),
            _ => {
                return Err(StoreError::Decode {
                    what: "writing rows",
                    reason: "statements prepared for another backend".into(),
                });
            }
        };
        done.map_err(StoreError::query("writing rows"))?;
    }
    Ok(())
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
        name: "assignments",
        keys: &["customer", "role", "colleague"],
        columns: &[],
    };

    /// `items`; the last three columns are derived by the import, not read.
    pub const ITEMS: Table = Table {
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
    pub const ITEMS_DERIVED: usize = 3;
}
