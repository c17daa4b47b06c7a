//! Owns the `files` table: the metadata of files attached to items or
//! accounts (their content is in [`crate::files::FileStore`], keyed by its
//! SHA-256). A row is written only after its content is stored, and in the
//! transaction of its history line; a row is deleted before its content.

use sqlx::{AssertSqlSafe, Row as _};

use super::{Params, StoreError, Tx, on_tx, statement};

/// A file to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// The customer.
    pub customer: String,
    /// The item's reference, `""` for a file of the whole account.
    pub reference: String,
    /// The file name as uploaded (`invoice-42.pdf`).
    pub name: String,
    /// A free description.
    pub description: Option<String>,
    /// Its MIME type, as found from its content.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of its content, lower-case hex: its key in the file store.
    pub sha256: String,
    /// `internal` or `customer`.
    pub visibility: String,
    /// Who uploaded it (`cli`, `api:<token>`, `ui:<email>`).
    pub uploaded_by: String,
    /// When (RFC 3339).
    pub uploaded_at: String,
}

/// A file as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileRow {
    /// Its id.
    pub id: i64,
    /// The customer.
    pub customer: String,
    /// The item's reference, `""` for a file of the whole account.
    pub reference: String,
    /// The file name as uploaded.
    pub name: String,
    /// A free description.
    pub description: Option<String>,
    /// Its MIME type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of its content, lower-case hex.
    pub sha256: String,
    /// `internal` or `customer`.
    pub visibility: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When (RFC 3339).
    pub uploaded_at: String,
    /// Hidden: out of lists by default, its links dead.
    pub hidden: bool,
}

const COLUMNS: &str = "id, customer, reference, name, description, content_type, size, sha256, \
                       visibility, uploaded_by, uploaded_at, hidden";

macro_rules! file_row {
    ($r:expr) => {{
        let hidden: i64 = $r.try_get(11)?;
        Ok::<_, sqlx::Error>(FileRow {
            id: $r.try_get(0)?,
            customer: $r.try_get(1)?,
            reference: $r.try_get(2)?,
            name: $r.try_get(3)?,
            description: $r.try_get(4)?,
            content_type: $r.try_get(5)?,
            size: $r.try_get(6)?,
            sha256: $r.try_get(7)?,
            visibility: $r.try_get(8)?,
            uploaded_by: $r.try_get(9)?,
            uploaded_at: $r.try_get(10)?,
            hidden: hidden != 0,
        })
    }};
}

/// Records a file; returns its id.
pub async fn insert(tx: &mut Tx, file: &NewFile) -> Result<i64, StoreError> {
    let mut params = Params::new(tx);
    let mut sql = String::from(
        "INSERT INTO files (customer, reference, name, description, content_type, size, sha256, \
         visibility, uploaded_by, uploaded_at, hidden) VALUES (",
    );
    params.list(&mut sql, 10);
    sql.push_str(", 0) RETURNING id");
    on_tx!(tx, c => {
        sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
            .bind(file.customer.clone())
            .bind(file.reference.clone())
            .bind(file.name.clone())
            .bind(file.description.clone())
            .bind(file.content_type.clone())
            .bind(file.size)
            .bind(file.sha256.clone())
            .bind(file.visibility.clone())
            .bind(file.uploaded_by.clone())
            .bind(file.uploaded_at.clone())
            .fetch_one(&mut **c)
            .await
    })
    .map_err(StoreError::query("recording a file"))
}

/// One file by id.
pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<FileRow>, StoreError> {
    let sql = statement(tx, &format!("SELECT {COLUMNS} FROM files WHERE id = ?"));
    on_tx!(tx, c => async {
        match sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **c).await? {
            Some(r) => file_row!(r).map(Some),
            None => Ok(None),
        }
    }.await)
    .map_err(StoreError::query("reading a file"))
}

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFilter {
    /// Only this customer's files.
    pub customer: Option<String>,
    /// Only this item's (with `customer`; `""`: the account's own files).
    pub reference: Option<String>,
    /// Hidden files too.
    pub hidden: bool,
}

/// Files, by customer, reference and id.
pub async fn list(tx: &mut Tx, filter: &FileFilter) -> Result<Vec<FileRow>, StoreError> {
    let mut template = format!("SELECT {COLUMNS} FROM files WHERE 1 = 1");
    if filter.customer.is_some() {
        template.push_str(" AND customer = ?");
    }
    if filter.reference.is_some() {
        template.push_str(" AND reference = ?");
    }
    if !filter.hidden {
        template.push_str(" AND hidden = 0");
    }
    template.push_str(" ORDER BY customer, reference, id");
    let sql = statement(tx, &template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        if let Some(customer) = &filter.customer {
            q = q.bind(customer.clone());
        }
        if let Some(reference) = &filter.reference {
            q = q.bind(reference.clone());
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter().map(|r| file_row!(r)).collect::<Result<Vec<_>, sqlx::Error>>()
    }.await)
    .map_err(StoreError::query("listing files"))
}

/// The visible files of these items (`(customer, reference)`), in the
/// order of the items then of upload.
pub async fn of_items(tx: &mut Tx, items: &[(String, String)]) -> Result<Vec<FileRow>, StoreError> {
    let mut out = Vec::new();
    for batch in items.chunks(1000) {
        let mut params = Params::new(tx);
        let mut sql = format!(
            "SELECT {COLUMNS} FROM files WHERE hidden = 0 AND (customer, reference) IN (VALUES "
        );
        for i in 0..batch.len() {
            sql.push_str(if i > 0 { ", (" } else { "(" });
            params.list(&mut sql, 2);
            sql.push(')');
        }
        sql.push_str(") ORDER BY id");
        let rows = on_tx!(tx, c => async {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (customer, reference) in batch {
                q = q.bind(customer.clone()).bind(reference.clone());
            }
            let rows = q.fetch_all(&mut **c).await?;
            rows.iter().map(|r| file_row!(r)).collect::<Result<Vec<_>, sqlx::Error>>()
        }.await)
        .map_err(StoreError::query("reading the files of items"))?;
        out.extend(rows);
    }
    out.sort_by_key(|f| {
        let at = items
            .iter()
            .position(|(c, r)| *c == f.customer && *r == f.reference)
            .unwrap_or(usize::MAX);
        (at, f.id)
    });
    Ok(out)
}

/// What to change on a file; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileChange {
    /// `internal` or `customer`.
    pub visibility: Option<String>,
    /// A new description (`Some("")` clears it).
    pub description: Option<String>,
    /// Hide or show again.
    pub hidden: Option<bool>,
}

/// Applies a change; `false` when there is no such file.
pub async fn update(tx: &mut Tx, id: i64, change: &FileChange) -> Result<bool, StoreError> {
    let mut sets = Vec::new();
    if change.visibility.is_some() {
        sets.push("visibility = ?");
    }
    if change.description.is_some() {
        sets.push("description = ?");
    }
    if change.hidden.is_some() {
        sets.push("hidden = ?");
    }
    if sets.is_empty() {
        return Ok(get(tx, id).await?.is_some());
    }
    let sql = statement(
        tx,
        &format!("UPDATE files SET {} WHERE id = ?", sets.join(", ")),
    );
    on_tx!(tx, c => {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        if let Some(v) = &change.visibility {
            q = q.bind(v.clone());
        }
        if let Some(d) = &change.description {
            q = q.bind((!d.is_empty()).then(|| d.clone()));
        }
        if let Some(h) = change.hidden {
            q = q.bind(i64::from(h));
        }
        q.bind(id).execute(&mut **c).await.map(|done| done.rows_affected() > 0)
    })
    .map_err(StoreError::query("changing a file"))
}

/// Files of items cleared on or before `cutoff` (ISO date), oldest first:
/// those retention purges.
pub async fn cleared_before(tx: &mut Tx, cutoff: &str) -> Result<Vec<FileRow>, StoreError> {
    let sql = statement(
        tx,
        "SELECT f.id, f.customer, f.reference, f.name, f.description, f.content_type, f.size, \
         f.sha256, f.visibility, f.uploaded_by, f.uploaded_at, f.hidden \
         FROM files f JOIN items i ON i.customer = f.customer AND i.reference = f.reference \
         WHERE i.remaining = 0 AND i.cleared_on IS NOT NULL AND i.cleared_on <= ? \
         ORDER BY i.cleared_on, f.id",
    );
    on_tx!(tx, c => async {
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(cutoff).fetch_all(&mut **c).await?;
        rows.iter().map(|r| file_row!(r)).collect::<Result<Vec<_>, sqlx::Error>>()
    }.await)
    .map_err(StoreError::query("finding files past retention"))
}

/// Deletes the metadata of files.
pub async fn delete(tx: &mut Tx, ids: &[i64]) -> Result<(), StoreError> {
    for batch in ids.chunks(1000) {
        let mut template = String::from("DELETE FROM files WHERE id IN (");
        template.push_str(&vec!["?"; batch.len()].join(", "));
        template.push(')');
        let sql = statement(tx, &template);
        on_tx!(tx, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in batch {
                q = q.bind(*id);
            }
            q.execute(&mut **c).await.map(|_| ())
        })
        .map_err(StoreError::query("deleting files"))?;
    }
    Ok(())
}

/// Whether any file row still names this content.
pub async fn content_in_use(tx: &mut Tx, sha256: &str) -> Result<bool, StoreError> {
    let sql = statement(tx, "SELECT COUNT(*) FROM files WHERE sha256 = ?");
    on_tx!(tx, c => {
        sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql)).bind(sha256).fetch_one(&mut **c).await
    })
    .map(|n| n > 0)
    .map_err(StoreError::query("checking a file's content"))
}

/// Whether the item exists (`reference` `""`: whether the customer does).
pub async fn target_exists(
    tx: &mut Tx,
    customer: &str,
    reference: &str,
) -> Result<bool, StoreError> {
    let (template, both) = if reference.is_empty() {
        ("SELECT COUNT(*) FROM customers WHERE code = ?", false)
    } else {
        (
            "SELECT COUNT(*) FROM items WHERE customer = ? AND reference = ?",
            true,
        )
    };
    let sql = statement(tx, template);
    on_tx!(tx, c => {
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql)).bind(customer);
        if both {
            q = q.bind(reference);
        }
        q.fetch_one(&mut **c).await
    })
    .map(|n| n > 0)
    .map_err(StoreError::query("finding an item"))
}

/// When an item was cleared (ISO date), if it is.
pub async fn cleared_on(
    tx: &mut Tx,
    customer: &str,
    reference: &str,
) -> Result<Option<String>, StoreError> {
    let sql = statement(
        tx,
        "SELECT cleared_on FROM items WHERE customer = ? AND reference = ?",
    );
    on_tx!(tx, c => {
        sqlx::query_scalar::<_, Option<String>>(AssertSqlSafe(sql))
            .bind(customer)
            .bind(reference)
            .fetch_optional(&mut **c)
            .await
    })
    .map(Option::flatten)
    .map_err(StoreError::query("reading an item's clearing date"))
}
