//! Files attached to items or accounts (docs/reference/files.md).
//!
//! The content of a file lives in a [`FileStore`] (a local directory or an
//! S3-compatible bucket) under its SHA-256
//! (`sha256/ab/cd/<hex>`), so the same file attached twice is stored once;
//! its metadata lives in the store's `files` table
//! ([`crate::store::files`]). [`attach`] checks the type (by extension and
//! by content, [`sniff`]) and the size, writes the content, then records the
//! metadata and a history line in one transaction: a crash leaves at worst
//! content nobody names (harmless), never metadata without content.
//! [`purge`] removes files some time after their item was cleared, metadata
//! first and then the content no other row names.
//!
//! # Layout
//! - [`sniff`]: the allowed types and the content checks.

pub mod sniff;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use chrono::{Duration, NaiveDate};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::prefix::PrefixStore;
use object_store::{ClientConfigKey, ObjectStore, ObjectStoreExt as _, PutPayload};
use sha2::{Digest as _, Sha256};

use crate::store::files::{self as table, FileRow, NewFile};
use crate::store::history::{self, HistoryEvent};
use crate::store::{Store, StoreError};

/// The largest file accepted unless configured lower: 50 MB.
pub const MAX_SIZE: u64 = 50 * 1024 * 1024;

/// Who may see a file: colleagues only, or the customer too (links in
/// emails and on the customer page).
pub const VISIBILITIES: &[&str] = &["internal", "customer"];

/// What went wrong with a file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The extension is not one of [`sniff::ALLOWED`].
    #[error(
        "`{name}` is not a type that can be attached (allowed: {})",
        sniff::ALLOWED.join(", ")
    )]
    TypeNotAllowed {
        /// The file name.
        name: String,
    },
    /// The content is not what the extension says.
    #[error("`{name}` is not a {extension} file: its content is {found}")]
    ContentMismatch {
        /// The file name.
        name: String,
        /// Its extension.
        extension: String,
        /// What the content looks like.
        found: String,
    },
    /// Larger than the limit.
    #[error("`{name}` is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// The file name.
        name: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Nothing in it.
    #[error("`{name}` is empty")]
    Empty {
        /// The file name.
        name: String,
    },
    /// No such item (or customer, for account files).
    #[error("no item {0} in the store")]
    NoItem(String),
    /// No such file.
    #[error("no file #{0}")]
    NoFile(i64),
    /// A visibility other than `internal` and `customer`.
    #[error("visibility `{0}` is neither `internal` nor `customer`")]
    Visibility(String),
    /// The file store location is not usable.
    #[error("file store {location}: {reason}")]
    Location {
        /// The location given.
        location: String,
        /// Why.
        reason: String,
    },
    /// Reading or writing content failed.
    ///
    /// The object store's message is part of this one, not a `source()`:
    /// its messages already carry their causes, and chaining them again
    /// would print each cause several times.
    #[error("file store: {what}: {cause}")]
    Blob {
        /// What was being done.
        what: &'static str,
        /// Why (S3's answer, the I/O error...).
        cause: object_store::Error,
    },
    /// The metadata could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl FileError {
    /// Whether the caller gave something wrong (a 4xx), rather than the
    /// store failing.
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            FileError::Location { .. } | FileError::Blob { .. } | FileError::Store(_)
        )
    }
}

/// Where file contents are kept, addressed by their SHA-256.
#[derive(Debug, Clone)]
pub struct FileStore {
    /// The object store (a local directory or an S3-compatible bucket).
    inner: Arc<dyn ObjectStore>,
    /// The largest file accepted, in bytes.
    max_size: u64,
}

impl FileStore {
    /// A store in a local directory, created if needed.
    pub fn local(dir: &Path) -> Result<FileStore, FileError> {
        let location = |reason: String| FileError::Location {
            location: dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| location(e.to_string()))?;
        let fs = LocalFileSystem::new_with_prefix(dir).map_err(|e| location(e.to_string()))?;
        Ok(FileStore {
            inner: Arc::new(fs),
            max_size: MAX_SIZE,
        })
    }

    /// The store `--files` names: a directory path (or `file://` URL), or
    /// an S3-compatible bucket `s3://BUCKET[/PREFIX]` ([`FileStore::s3`]).
    pub fn open(location: &str) -> Result<FileStore, FileError> {
        if let Some(path) = location.strip_prefix("file://") {
            return FileStore::local(Path::new(path));
        }
        if location.starts_with("s3://") {
            return FileStore::s3(location);
        }
        if location.contains("://") {
            return Err(FileError::Location {
                location: location.to_string(),
                reason: "give a directory, a file:// URL or an s3://BUCKET[/PREFIX] URL".into(),
            });
        }
        FileStore::local(Path::new(location))
    }

    /// A store in an S3-compatible bucket: `s3://BUCKET[/PREFIX]`, the keys
    /// under `PREFIX/` when given. Credentials, region and endpoint come
    /// from the process's standard `AWS_*` variables
    /// ([`FileStore::s3_with_env`]).
    pub fn s3(url: &str) -> Result<FileStore, FileError> {
        FileStore::s3_with_env(url, std::env::vars())
    }

    /// A store in an S3-compatible bucket, configured by these `AWS_*`
    /// variables (others are ignored), as [`AmazonS3Builder::from_env`]
    /// reads them: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and
    /// `AWS_SESSION_TOKEN`), `AWS_REGION` or `AWS_DEFAULT_REGION` (default
    /// `us-east-1`), `AWS_ENDPOINT_URL` for another server than AWS (MinIO,
    /// moto...) and `AWS_ALLOW_HTTP=true` when that endpoint is `http://`.
    /// Nothing is sent before the first read or write.
    pub fn s3_with_env(
        url: &str,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<FileStore, FileError> {
        let location = |reason: String| FileError::Location {
            location: url.to_string(),
            reason,
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| location("an S3 store is named s3://BUCKET[/PREFIX]".into()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_matches('/');
        if bucket.is_empty() {
            return Err(location(
                "no bucket: an S3 store is named s3://BUCKET[/PREFIX]".into(),
            ));
        }
        let mut builder = AmazonS3Builder::new();
        let mut allow_http = false;
        let mut http_endpoint = None;
        for (name, value) in vars {
            if !name.starts_with("AWS_") {
                continue;
            }
            let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() else {
                continue;
            };
            match key {
                AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp) => {
                    allow_http = ["1", "true", "on", "yes", "y"]
                        .contains(&value.to_ascii_lowercase().as_str());
                }
                AmazonS3ConfigKey::Endpoint | AmazonS3ConfigKey::S3Endpoint
                    if value.starts_with("http://") =>
                {
                    http_endpoint = Some(format!("{name} `{value}`"));
                }
                _ => {}
            }
            builder = builder.with_config(key, value);
        }
        if let Some(endpoint) = http_endpoint.filter(|_| !allow_http) {
            return Err(location(format!(
                "{endpoint} is plain http://: set AWS_ALLOW_HTTP=true to allow it"
            )));
        }
        let s3 = builder
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| location(e.to_string()))?;
        let inner: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(PrefixStore::new(s3, prefix))
        };
        Ok(FileStore {
            inner,
            max_size: MAX_SIZE,
        })
    }

    /// The default location beside a SQLite store file: `<file stem>-files/`
    /// in its directory (`relance.db` → `relance-files/`).
    pub fn default_dir(sqlite_file: &Path) -> PathBuf {
        let stem = sqlite_file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "relance".into());
        sqlite_file.with_file_name(format!("{stem}-files"))
    }

    /// Lowers the size limit (it cannot be raised above [`MAX_SIZE`]).
    pub fn with_max_size(mut self, bytes: u64) -> FileStore {
        self.max_size = bytes.min(MAX_SIZE);
        self
    }

    /// The size limit, in bytes.
    pub fn max_size(&self) -> u64 {
        self.max_size
    }

    fn key(sha256: &str) -> Key {
        let a = sha256.get(0..2).unwrap_or("00");
        let b = sha256.get(2..4).unwrap_or("00");
        Key::from(format!("sha256/{a}/{b}/{sha256}"))
    }

    /// Stores content (atomically: a temporary file renamed into place, or
    /// one S3 `PUT`); returns its SHA-256.
    pub async fn put(&self, content: Bytes) -> Result<String, FileError> {
        let sha256 = sha256_hex(&content);
        self.inner
            .put(&FileStore::key(&sha256), PutPayload::from_bytes(content))
            .await
            .map_err(|cause| FileError::Blob {
                what: "writing a file",
                cause,
            })?;
        Ok(sha256)
    }

    /// The content stored under a SHA-256.
    pub async fn get(&self, sha256: &str) -> Result<Bytes, FileError> {
        let what = |cause| FileError::Blob {
            what: "reading a file",
            cause,
        };
        self.inner
            .get(&FileStore::key(sha256))
            .await
            .map_err(what)?
            .bytes()
            .await
            .map_err(what)
    }

    /// Removes the content stored under a SHA-256 (gone already is fine).
    pub async fn delete(&self, sha256: &str) -> Result<(), FileError> {
        match self.inner.delete(&FileStore::key(sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(cause) => Err(FileError::Blob {
                what: "deleting a file",
                cause,
            }),
        }
    }
}

/// The SHA-256 of content, lower-case hex.
pub fn sha256_hex(content: &[u8]) -> String {
    Sha256::digest(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A file to attach.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The customer.
    pub customer: String,
    /// The item's reference; `None` attaches to the whole account.
    pub reference: Option<String>,
    /// The file name (its extension says its type).
    pub name: String,
    /// Its content.
    pub content: Bytes,
    /// `internal` or `customer`.
    pub visibility: String,
    /// A free description.
    pub description: Option<String>,
}

/// Attaches a file: checks it, stores its content, then records its
/// metadata with an `file_attached` history line in one transaction.
pub async fn attach(
    store: &Store,
    files: &FileStore,
    upload: Upload,
    now: &str,
    origin: &str,
) -> Result<FileRow, FileError> {
    let name = upload
        .name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(&upload.name)
        .to_string();
    let size = upload.content.len() as u64;
    if size == 0 {
        return Err(FileError::Empty { name });
    }
    if size > files.max_size {
        return Err(FileError::TooLarge {
            name,
            size,
            limit: files.max_size,
        });
    }
    let content_type = sniff::content_type(&name, &upload.content)?;
    check_visibility(&upload.visibility)?;
    let reference = upload.reference.clone().unwrap_or_default();
    {
        let mut tx = store.begin().await?;
        let exists = table::target_exists(&mut tx, &upload.customer, &reference).await?;
        tx.rollback().await?;
        if !exists {
            return Err(FileError::NoItem(item_label(&upload.customer, &reference)));
        }
    }
    let sha256 = files.put(upload.content).await?;
    let new = NewFile {
        customer: upload.customer,
        reference,
        name,
        description: upload.description.filter(|d| !d.is_empty()),
        content_type: content_type.to_string(),
        size: i64::try_from(size).unwrap_or(i64::MAX),
        sha256,
        visibility: upload.visibility,
        uploaded_by: origin.to_string(),
        uploaded_at: now.to_string(),
    };
    let mut tx = store.begin_write().await?;
    let id = table::insert(&mut tx, &new).await?;
    history::append_history(
        &mut tx,
        &[event(
            now,
            "file_attached",
            &new.customer,
            &new.reference,
            origin,
            serde_json::json!({
                "file": id, "name": new.name, "size": new.size,
                "sha256": new.sha256, "visibility": new.visibility,
            }),
        )],
    )
    .await?;
    tx.commit().await?;
    let mut tx = store.begin().await?;
    let row = table::get(&mut tx, id).await?;
    tx.rollback().await?;
    row.ok_or(FileError::NoFile(id))
}

fn check_visibility(v: &str) -> Result<(), FileError> {
    if VISIBILITIES.contains(&v) {
        Ok(())
    } else {
        Err(FileError::Visibility(v.to_string()))
    }
}

/// `C1/INV-1`, or `C1` for the account itself.
pub fn item_label(customer: &str, reference: &str) -> String {
    if reference.is_empty() {
        customer.to_string()
    } else {
        format!("{customer}/{reference}")
    }
}

fn event(
    now: &str,
    kind: &str,
    customer: &str,
    reference: &str,
    origin: &str,
    data: serde_json::Value,
) -> HistoryEvent {
    HistoryEvent {
        at: now.to_string(),
        kind: kind.to_string(),
        customer: Some(customer.to_string()),
        reference: (!reference.is_empty()).then(|| reference.to_string()),
        origin: origin.to_string(),
        data: data.to_string(),
    }
}

/// Changes a file's visibility, description or hidden flag, with a
/// `file_changed` history line; returns it as it is now.
pub async fn change(
    store: &Store,
    id: i64,
    change: &table::FileChange,
    now: &str,
    origin: &str,
) -> Result<FileRow, FileError> {
    if let Some(v) = &change.visibility {
        check_visibility(v)?;
    }
    let mut tx = store.begin_write().await?;
    if !table::update(&mut tx, id, change).await? {
        return Err(FileError::NoFile(id));
    }
    let row = table::get(&mut tx, id)
        .await?
        .ok_or(FileError::NoFile(id))?;
    let kind = match change.hidden {
        Some(true) => "file_hidden",
        _ => "file_changed",
    };
    history::append_history(
        &mut tx,
        &[event(
            now,
            kind,
            &row.customer,
            &row.reference,
            origin,
            serde_json::json!({
                "file": id, "name": row.name, "visibility": row.visibility,
                "description": row.description, "hidden": row.hidden,
            }),
        )],
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The visible files of these items (`(customer, reference)`) that their
/// customer may see (`customer` visibility), for attaching to emails.
pub async fn customer_files_of(
    store: &Store,
    items: &[(String, String)],
) -> Result<Vec<FileRow>, StoreError> {
    let mut tx = store.begin().await?;
    let rows = table::of_items(&mut tx, items).await?;
    tx.rollback().await?;
    Ok(rows
        .into_iter()
        .filter(|f| f.visibility == "customer")
        .collect())
}

/// Records that a file was downloaded (a `file_downloaded` history line).
pub async fn record_download(
    store: &Store,
    file: &FileRow,
    now: &str,
    origin: &str,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    history::append_history(
        &mut tx,
        &[event(
            now,
            "file_downloaded",
            &file.customer,
            &file.reference,
            origin,
            serde_json::json!({ "file": file.id, "name": file.name }),
        )],
    )
    .await?;
    tx.commit().await
}

/// Deletes the files of items cleared at least `kept_days` before `today`
/// (all of them when `dry_run` is false; none with `dry_run`), each with a
/// `file_purged` history line; returns them. Account files (no item) are
/// never purged.
pub async fn purge(
    store: &Store,
    files: &FileStore,
    today: NaiveDate,
    kept_days: i64,
    dry_run: bool,
    now: &str,
    origin: &str,
) -> Result<Vec<FileRow>, FileError> {
    let cutoff = (today - Duration::days(kept_days)).to_string();
    let mut tx = store.begin_write().await?;
    let due = table::cleared_before(&mut tx, &cutoff).await?;
    if dry_run || due.is_empty() {
        tx.rollback().await?;
        return Ok(due);
    }
    let ids: Vec<i64> = due.iter().map(|f| f.id).collect();
    table::delete(&mut tx, &ids).await?;
    let events: Vec<HistoryEvent> = due
        .iter()
        .map(|f| {
            event(
                now,
                "file_purged",
                &f.customer,
                &f.reference,
                origin,
                serde_json::json!({
                    "file": f.id, "name": f.name, "sha256": f.sha256,
                    "kept_days": kept_days,
                }),
            )
        })
        .collect();
    history::append_history(&mut tx, &events).await?;
    tx.commit().await?;
    let mut shas: Vec<&str> = due.iter().map(|f| f.sha256.as_str()).collect();
    shas.sort_unstable();
    shas.dedup();
    for sha in shas {
        let mut tx = store.begin().await?;
        let in_use = table::content_in_use(&mut tx, sha).await?;
        tx.rollback().await?;
        if !in_use {
            files.delete(sha).await?;
        }
    }
    Ok(due)
}
