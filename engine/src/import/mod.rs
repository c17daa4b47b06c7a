//! `relance import`: CSV files of customers, contacts, colleagues, assignments
//! and items into the store (docs/reference/data.md).
//!
//! One call is one transaction. Files are read in chunks of records,
//! checked on several threads and written in batches, in file order, while
//! they are valid; the first bad row stops the writing but not the
//! reading, so that every bad row is reported (in line order), and the
//! transaction is rolled back: a call with any bad row writes nothing.
//! Memory stays bounded by the number of customers and colleagues (kept in
//! indexes) plus a 24-byte fingerprint per row for duplicate keys, and a
//! few batches.
//!
//! # Layout
//! - [`files`]: which files a call imports, what each holds ([`FileKind`]), in
//!   which order.
//! - [`csvfile`]: reading one file defensively.
//! - [`rows`]: from a CSV record to a validated row, per kind of file.
//! - [`progress`]: what an import tells of its progress (the caller draws).
//! - `read`: reading one file: chunks of records read on one thread,
//!   checked and prepared as batches on several, taken in file order.
//! - `run`: the import loop of one file (the reader validating, the writer
//!   comparing with the stored rows and writing in batches).
//! - `stamp`: what an import writes beside the rows (date, id, history).

pub mod csvfile;
pub mod files;
pub mod progress;
mod read;
pub mod rows;
mod run;
mod stamp;

use foldhash::{HashSet, HashSetExt as _};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use relance_dsl::model::Config;

use crate::store::history::{self, HistoryEvent};
use crate::store::{Store, StoreError, imports, items};
use rows::Indexes;
use run::{Problems, Run};
use stamp::ImportStamp;

pub use files::{FileKind, plan_files};
pub use progress::Progress;

/// What `--full` / `--full-all` ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// Items not in the file are left alone.
    No,
    /// The file lists every open item of the customers it mentions.
    Mentioned,
    /// The file lists every open item of all customers.
    All,
}

/// How dates are written in the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `2026-11-22`
    Iso,
    /// `22/11/2026`
    Dmy,
}

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// Force the kind of every file (`--kind`).
    pub kind: Option<FileKind>,
    /// Clearing of items missing from the file.
    pub full: Full,
    /// Validate and count, write nothing.
    pub dry_run: bool,
    /// How dates are written.
    pub date_format: DateFormat,
    /// The import date: status changes, clearings and payments without a
    /// `paid_on` are dated with it; no `paid_on` may be after it.
    pub today: NaiveDate,
    /// The instant, RFC 3339 UTC, for history.
    pub now: String,
    /// Who imports: `cli`, `api:<token name>`.
    pub origin: String,
}

/// Counts for one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileReport {
    /// The file.
    pub file: String,
    /// What it holds.
    pub kind: String,
    /// Data rows read.
    pub rows: u64,
    /// New rows.
    pub inserted: u64,
    /// Rows that changed.
    pub updated: u64,
    /// Rows already stored as they are.
    pub unchanged: u64,
    /// Items cleared because the file (with `--full`) no longer lists them.
    pub cleared: u64,
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// One entry per file, in import order.
    pub files: Vec<FileReport>,
    /// Whether nothing was written on purpose.
    pub dry_run: bool,
}

/// A bad row (or a bad file, line 0).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// The file name.
    pub file: String,
    /// 1-based line; 0 for the file as a whole.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl RowError {
    /// The same problem with control characters of the message (a CR/LF
    /// inside a quoted cell it quotes) written as escapes (`\r\n`): a
    /// problem is one line, in a terminal, a log or an API answer.
    pub fn escaped(mut self) -> RowError {
        if self.message.chars().any(char::is_control) {
            self.message = self
                .message
                .chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
        }
        self
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Bad rows or files; nothing was written.
    #[error("{} problem(s) found; nothing was imported", .errors.len() + .more)]
    Invalid {
        /// The bad rows (at most 1000).
        errors: Vec<RowError>,
        /// How many more were not kept.
        more: usize,
    },
    /// The call itself is wrong (a file whose kind cannot be told).
    #[error("{0}")]
    Usage(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports files into the store, all or nothing.
pub async fn import(
    store: &Store,
    config: &Config,
    paths: &[PathBuf],
    opts: &Options,
) -> Result<Report, ImportError> {
    import_files(store, config, paths, opts, None).await
}

/// As [`import`], telling `progress` how far each file is read.
pub async fn import_with_progress(
    store: &Store,
    config: &Config,
    paths: &[PathBuf],
    opts: &Options,
    progress: Arc<dyn Progress>,
) -> Result<Report, ImportError> {
    import_files(store, config, paths, opts, Some(progress)).await
}

/// [`import`], with or without someone told of its progress.
async fn import_files(
    store: &Store,
    config: &Config,
    paths: &[PathBuf],
    opts: &Options,
    progress: Option<Arc<dyn Progress>>,
) -> Result<Report, ImportError> {
    let files = plan_files(paths, opts.kind)?;
    if opts.full != Full::No && !files.iter().any(|(k, _)| *k == FileKind::Items) {
        // Without an items file, "everything not listed is paid" would clear all.
        return Err(ImportError::Usage(
            "--full and --full-all need an items file in the same call".into(),
        ));
    }
    // The write side from the start: a second import fails here, clearly,
    // rather than after validating its files.
    let mut tx = store.begin_import().await?;
    let mut indexes = Indexes::load(&mut tx, config).await?;
    let import_id = imports::start_import(&mut tx, &opts.now, &opts.origin).await?;
    let mut run = Run {
        opts,
        stamp: ImportStamp {
            today: opts.today.format("%Y-%m-%d").to_string(),
            import_id,
            now: opts.now.clone(),
            origin: opts.origin.clone(),
        },
        problems: Problems::default(),
        mentioned: HashSet::new(),
        history: Vec::new(),
        progress,
    };
    let mut report = Report {
        files: Vec::new(),
        dry_run: opts.dry_run,
    };
    for (kind, path) in &files {
        let file_report = run.file(&mut tx, &mut indexes, *kind, path).await?;
        report.files.push(file_report);
    }
    if !run.problems.is_empty() {
        tx.rollback().await?;
        return Err(ImportError::Invalid {
            errors: run.problems.kept,
            more: run.problems.more,
        });
    }
    let today = run.stamp.today.clone();
    let cleared = match opts.full {
        Full::No => 0,
        Full::All => items::clear_unseen(&mut tx, import_id, &today, &opts.now, None).await?,
        Full::Mentioned => {
            let mut customers: Vec<String> = run.mentioned.iter().cloned().collect();
            customers.sort();
            items::clear_unseen(&mut tx, import_id, &today, &opts.now, Some(&customers)).await?
        }
    };
    if let Some(last_items) = report
        .files
        .iter_mut()
        .rev()
        .find(|f| f.kind == FileKind::Items.as_str())
    {
        last_items.cleared = cleared;
    }
    let counts = serde_json::to_string(&report).unwrap_or_else(|_| "{}".into());
    imports::finish_import(&mut tx, import_id, &counts).await?;
    run.history.push(HistoryEvent {
        at: opts.now.clone(),
        kind: "import".into(),
        customer: None,
        reference: None,
        origin: opts.origin.clone(),
        data: counts,
    });
    history::append_history(&mut tx, &run.history).await?;
    if !opts.dry_run {
        let changed: Vec<(&str, u64)> = report
            .files
            .iter()
            .map(|f| (f.kind.as_str(), f.inserted + f.updated + f.cleared))
            .collect();
        imports::refresh_statistics(&mut tx, &changed).await?;
    }
    if opts.dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(report)
}
