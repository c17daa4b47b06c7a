//! `relance import`: CSV files of customers, contacts, colleagues, assignments
//! and items into the store (spec/DATA.md).
//!
//! One call is one transaction. Files are read one record at a time and
//! written in batches while they are valid; the first bad row stops the
//! writing but not the reading, so that every bad row is reported, and the
//! transaction is rolled back: a call with any bad row writes nothing.
//! Memory stays bounded by the number of customers and colleagues (kept in
//! indexes) plus a 24-byte fingerprint per row for duplicate keys.
//!
//! # Layout
//! - [`csvfile`]: reading one file defensively.
//! - [`rows`]: from a CSV record to a validated row, per kind of file.

pub mod csvfile;
pub mod rows;

use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use relance_dsl::model::Config;

use crate::store::records::{self, HistoryEvent};
use crate::store::table::{self, Prepared, Row, Table, tables};
use crate::store::{Backend, Store, StoreError, Tx};
use csvfile::CsvFile;
use rows::{Indexes, Parser};

/// Rows written per batch.
const BATCH: usize = 2000;
/// Bad rows kept for the report; the rest are counted.
const MAX_REPORTED: usize = 1000;

/// The kinds of file, in the order they are imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `colleagues*.csv`
    Colleagues,
    /// `customers*.csv`
    Customers,
    /// `contacts*.csv`
    Contacts,
    /// `assignments*.csv`
    Assignments,
    /// `items*.csv`
    Items,
}

impl Kind {
    /// Every kind, in import order.
    pub const ALL: [Kind; 5] = [
        Kind::Colleagues,
        Kind::Customers,
        Kind::Contacts,
        Kind::Assignments,
        Kind::Items,
    ];

    /// The name used on the command line and in file names.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Colleagues => "colleagues",
            Kind::Customers => "customers",
            Kind::Contacts => "contacts",
            Kind::Assignments => "assignments",
            Kind::Items => "items",
        }
    }

    /// From `--kind`.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// From a file name: `items_2026-11.csv` is items.
    pub fn of_file(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_string_lossy().to_lowercase();
        Kind::ALL.into_iter().find(|k| name.starts_with(k.as_str()))
    }

    fn table(self) -> &'static Table {
        match self {
            Kind::Colleagues => &tables::COLLEAGUES,
            Kind::Customers => &tables::CUSTOMERS,
            Kind::Contacts => &tables::CONTACTS,
            Kind::Assignments => &tables::ASSIGNMENTS,
            Kind::Items => &tables::ITEMS,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    pub kind: Option<Kind>,
    /// Clearing of items missing from the file.
    pub full: Full,
    /// Validate and count, write nothing.
    pub dry_run: bool,
    /// How dates are written.
    pub date_format: DateFormat,
    /// The import date: status changes and clearings are dated with it.
    pub today: NaiveDate,
    /// The instant, RFC 3339 UTC, for history.
    pub now: String,
    /// Who imports: `cli`, `api:<token name>`.
    pub origin: String,
    /// Show a progress bar per file.
    pub progress: bool,
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

/// The files to import: directories are expanded to their `*.csv` files,
/// every file gets its kind, and they are sorted in dependency order.
pub fn plan_files(
    paths: &[PathBuf],
    kind: Option<Kind>,
) -> Result<Vec<(Kind, PathBuf)>, ImportError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| ImportError::Usage(format!("cannot read {}: {e}", path.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
                .collect();
            inside.sort();
            if inside.is_empty() {
                return Err(ImportError::Usage(format!(
                    "{} has no .csv file",
                    path.display()
                )));
            }
            files.extend(inside);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(ImportError::Usage(format!(
                "{} does not exist",
                path.display()
            )));
        }
    }
    let mut planned = Vec::new();
    for file in files {
        let k = kind.or_else(|| Kind::of_file(&file)).ok_or_else(|| {
            ImportError::Usage(format!(
                "cannot tell what {} holds: name it customers*.csv, contacts*.csv, colleagues*.csv, \
                 assignments*.csv or items*.csv, or give --kind",
                file.display()
            ))
        })?;
        planned.push((k, file));
    }
    planned.sort_by_key(|(k, _)| *k);
    Ok(planned)
}

/// Imports files into the store, all or nothing.
pub async fn import(
    store: &Store,
    config: &Config,
    paths: &[PathBuf],
    opts: &Options,
) -> Result<Report, ImportError> {
    let files = plan_files(paths, opts.kind)?;
    if opts.full != Full::No && !files.iter().any(|(k, _)| *k == Kind::Items) {
        // Without an items file, "everything not listed is paid" would clear all.
        return Err(ImportError::Usage(
            "--full and --full-all need an items file in the same call".into(),
        ));
    }
    // The write side from the start: a second import fails here, clearly,
    // rather than after validating its files.
    let mut tx = store.begin_import().await?;
    let mut indexes = Indexes::load(&mut tx, config).await?;
    let import_id = records::start_import(&mut tx, &opts.now, &opts.origin).await?;
    let mut run = Run {
        opts,
        stamp: Stamp {
            today: opts.today.format("%Y-%m-%d").to_string(),
            import_id,
            now: opts.now.clone(),
            origin: opts.origin.clone(),
        },
        problems: Problems::default(),
        mentioned: HashSet::new(),
        history: Vec::new(),
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
        Full::All => records::clear_unseen(&mut tx, import_id, &today, None).await?,
        Full::Mentioned => {
            let mut customers: Vec<String> = run.mentioned.iter().cloned().collect();
            customers.sort();
            records::clear_unseen(&mut tx, import_id, &today, Some(&customers)).await?
        }
    };
    if let Some(last_items) = report
        .files
        .iter_mut()
        .rev()
        .find(|f| f.kind == Kind::Items.as_str())
    {
        last_items.cleared = cleared;
    }
    let counts = serde_json::to_string(&report).unwrap_or_else(|_| "{}".into());
    records::finish_import(&mut tx, import_id, &counts).await?;
    run.history.push(HistoryEvent {
        at: opts.now.clone(),
        kind: "import".into(),
        customer: None,
        reference: None,
        origin: opts.origin.clone(),
        data: counts,
    });
    records::append_history(&mut tx, &run.history).await?;
    if opts.dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(report)
}

/// Problems found so far: the first [`MAX_REPORTED`] kept, the rest counted.
#[derive(Debug, Default)]
struct Problems {
    /// The problems kept for the report.
    kept: Vec<RowError>,
    /// How many more there were.
    more: usize,
}

impl Problems {
    fn push(&mut self, e: RowError) {
        if self.kept.len() < MAX_REPORTED {
            self.kept.push(e);
        } else {
            self.more += 1;
        }
    }

    /// Takes in the problems of one file.
    fn absorb(&mut self, other: Problems) {
        for e in other.kept {
            self.push(e);
        }
        self.more += other.more;
    }

    fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.more == 0
    }
}

/// The state of one import call.
struct Run<'o> {
    /// The options.
    opts: &'o Options,
    /// This import's date, id (marks the items it saw, for `--full`),
    /// instant and origin.
    stamp: Stamp,
    /// Bad rows so far.
    problems: Problems,
    /// Customers mentioned by items files, for `--full`.
    mentioned: HashSet<String>,
    /// Status changes of the batch being written (appended with it).
    history: Vec<HistoryEvent>,
}

impl Run<'_> {
    fn error(&mut self, e: RowError) {
        self.problems.push(e.escaped());
    }

    async fn file(
        &mut self,
        tx: &mut Tx,
        indexes: &mut Indexes,
        kind: Kind,
        path: &Path,
    ) -> Result<FileReport, ImportError> {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut report = FileReport {
            file: name.clone(),
            kind: kind.as_str().into(),
            ..FileReport::default()
        };
        let bar = self.opts.progress.then(|| progress_bar(path, &name));
        let mut csv = match CsvFile::open(path, bar.clone()) {
            Ok(csv) => csv,
            Err(e) => {
                self.error(e);
                return Ok(report);
            }
        };
        let mut parser = match Parser::new(kind, &csv, indexes, self.opts) {
            Ok(p) => p,
            Err(missing) => {
                self.error(RowError {
                    file: name,
                    line: 1,
                    message: missing,
                });
                return Ok(report);
            }
        };
        let table = kind.table();
        let empty_at_start = table.is_empty(tx).await?;

        // Reading and validating (CPU) runs on a blocking thread and hands
        // batches to this task, which writes them (the database's thread):
        // the two overlap. The reader owns the indexes meanwhile.
        // Into a table that was empty when the file began, every row is new:
        // the reader also derives them and binds the statements, and this
        // task only runs them.
        let (sender, mut batches) = tokio::sync::mpsc::channel::<Result<Batch, StoreError>>(2);
        let mut reader = Reader {
            name: name.clone(),
            kind,
            indexes: std::mem::take(indexes),
            clean: self.problems.is_empty(),
            problems: Problems::default(),
            rows: 0,
            mentioned: HashSet::new(),
            fresh: empty_at_start.then(|| Fresh {
                backend: tx.backend(),
                stamp: self.stamp.clone(),
            }),
        };
        let reading = tokio::task::spawn_blocking(move || {
            reader.read(&mut csv, &mut parser, &sender);
            reader
        });
        while let Some(batch) = batches.recv().await {
            match batch? {
                Batch::Rows(mut rows) => {
                    self.flush(tx, table, kind, &mut rows, empty_at_start, &mut report)
                        .await?;
                }
                Batch::Ready {
                    statements,
                    history,
                    rows,
                } => {
                    table::execute(tx, statements).await?;
                    records::append_history(tx, &history).await?;
                    report.inserted += rows;
                }
            }
        }
        let reader = reading
            .await
            .map_err(|e| ImportError::Usage(format!("reading {name} failed: {e}")))?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        *indexes = reader.indexes;
        report.rows = reader.rows;
        self.mentioned.extend(reader.mentioned);
        let file_had_problems = !reader.problems.is_empty();
        self.problems.absorb(reader.problems);
        if report.rows == 0 && !file_had_problems {
            self.error(RowError {
                file: name.clone(),
                line: 0,
                message: "no rows after the header".into(),
            });
        }
        Ok(report)
    }

    /// Writes a batch: compares with the stored rows, counts, upserts.
    async fn flush(
        &mut self,
        tx: &mut Tx,
        table: &Table,
        kind: Kind,
        batch: &mut Vec<(u64, Row)>,
        empty_at_start: bool,
        report: &mut FileReport,
    ) -> Result<(), ImportError> {
        if batch.is_empty() {
            return Ok(());
        }
        let nkeys = table.keys.len();
        let existing = if empty_at_start {
            HashMap::new()
        } else {
            let keys: Vec<Vec<String>> = batch
                .iter()
                .map(|(_, row)| {
                    row[..nkeys]
                        .iter()
                        .map(|v| v.as_text().unwrap_or_default().to_string())
                        .collect()
                })
                .collect();
            table.existing(tx, &keys).await?
        };
        let full = self.opts.full != Full::No;
        let mut writes: Vec<Row> = Vec::with_capacity(batch.len());
        for (_, mut row) in batch.drain(..) {
            let old = if existing.is_empty() {
                None
            } else {
                let key: Vec<String> = row[..nkeys]
                    .iter()
                    .map(|v| v.as_text().unwrap_or_default().to_string())
                    .collect();
                existing.get(&key)
            };
            rows::resolve(kind, &mut row, old);
            if kind == Kind::Items {
                self.history
                    .extend(self.stamp.derive(&mut row, old, &report.file));
            }
            match old {
                None => {
                    report.inserted += 1;
                    writes.push(row);
                }
                Some(old) if same_content(kind, old, &row) => {
                    report.unchanged += 1;
                    if full {
                        writes.push(row);
                    }
                }
                Some(_) => {
                    report.updated += 1;
                    writes.push(row);
                }
            }
        }
        // A dry run writes too, inside the transaction it then rolls back:
        // later files of the call are validated against these rows.
        // Into a table that was empty when the import began, no row can
        // conflict (duplicate keys are refused): a plain INSERT does.
        table.write(tx, writes, !empty_at_start).await?;
        // Status changes go with their batch: memory does not grow with them.
        records::append_history(tx, &self.history).await?;
        self.history.clear();
        Ok(())
    }
}

/// What an import writes beside the columns it reads: its date, its id,
/// its instant and origin (for history).
#[derive(Debug, Clone)]
struct Stamp {
    /// The import date as stored (`YYYY-MM-DD`).
    today: String,
    /// The import's id.
    import_id: i64,
    /// The instant, for history.
    now: String,
    /// Who imports.
    origin: String,
}

impl Stamp {
    /// Fills the derived columns of an items row (`old` is the stored row,
    /// if any) and returns the status change it makes, for history, with
    /// the file as its origin (`import:items.csv`; who ran the import is in
    /// the data).
    fn derive(&self, row: &mut Row, old: Option<&Row>, file: &str) -> Option<HistoryEvent> {
        let derived = rows::derive_item(row, old, &self.today, self.import_id);
        let change = rows::status_change(row, old, &self.origin, self.import_id).map(|change| {
            HistoryEvent {
                at: self.now.clone(),
                kind: "status_changed".into(),
                customer: row[0].as_text().map(str::to_string),
                reference: row[1].as_text().map(str::to_string),
                origin: format!("import:{file}"),
                data: change,
            }
        });
        let n = row.len();
        row[n - tables::ITEMS_DERIVED..].clone_from_slice(&derived);
        change
    }
}

/// What the reader hands the writer.
enum Batch {
    /// Validated rows, to compare with the stored ones and write.
    Rows(Vec<(u64, Row)>),
    /// New rows, derived and bound by the reader.
    Ready {
        /// The INSERT statements.
        statements: Vec<Prepared>,
        /// The status changes they make.
        history: Vec<HistoryEvent>,
        /// How many rows.
        rows: u64,
    },
}

/// How the reader prepares rows into a table empty when the file began.
struct Fresh {
    /// The store's backend (placeholders and binding differ).
    backend: Backend,
    /// The derived columns.
    stamp: Stamp,
}

/// Reads and validates one file on a blocking thread.
struct Reader {
    /// The file name, for messages.
    name: String,
    /// What the file holds.
    kind: Kind,
    /// The indexes, lent for the file.
    indexes: Indexes,
    /// No bad row yet in this call: batches are still sent to be written.
    clean: bool,
    /// Bad rows of this file.
    problems: Problems,
    /// Data rows read.
    rows: u64,
    /// Customers of the items read, for `--full`.
    mentioned: HashSet<String>,
    /// Set when the table was empty when the file began.
    fresh: Option<Fresh>,
}

impl Reader {
    fn error(&mut self, e: RowError) {
        self.clean = false;
        self.problems.push(e.escaped());
    }

    /// Hands a batch to the writer, prepared when the table was empty; stops
    /// writing (and only validates) once the writer is gone.
    fn send(
        &mut self,
        rows: Vec<(u64, Row)>,
        sender: &tokio::sync::mpsc::Sender<Result<Batch, StoreError>>,
    ) {
        let batch = match &self.fresh {
            None => Ok(Batch::Rows(rows)),
            Some(fresh) => {
                let count = rows.len() as u64;
                let mut history = Vec::new();
                let rows: Vec<Row> = rows
                    .into_iter()
                    .map(|(_, mut row)| {
                        rows::resolve(self.kind, &mut row, None);
                        if self.kind == Kind::Items {
                            history.extend(fresh.stamp.derive(&mut row, None, &self.name));
                        }
                        row
                    })
                    .collect();
                self.kind
                    .table()
                    .prepare(fresh.backend, rows, false)
                    .map(|statements| Batch::Ready {
                        statements,
                        history,
                        rows: count,
                    })
            }
        };
        if sender.blocking_send(batch).is_err() {
            // The writer stopped (a store error): only validate.
            self.clean = false;
        }
    }

    fn read(
        &mut self,
        csv: &mut CsvFile,
        parser: &mut Parser,
        sender: &tokio::sync::mpsc::Sender<Result<Batch, StoreError>>,
    ) {
        let mut batch: Vec<(u64, Row)> = Vec::with_capacity(BATCH);
        while let Some(record) = csv.next_record() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    // After a line too long, a quote never closed or an IO
                    // error, `next_record` gives no more records.
                    self.error(e);
                    continue;
                }
            };
            self.rows += 1;
            let line = record.line;
            match parser.row(&record, &mut self.indexes) {
                Ok(row) => {
                    if self.kind == Kind::Items
                        && let Some(customer) = row[0].as_text()
                        && !self.mentioned.contains(customer)
                    {
                        self.mentioned.insert(customer.to_string());
                    }
                    if self.clean {
                        batch.push((line, row));
                        if batch.len() >= BATCH {
                            self.send(std::mem::take(&mut batch), sender);
                        }
                    }
                }
                Err(messages) => {
                    for message in messages {
                        let name = self.name.clone();
                        self.error(RowError {
                            file: name,
                            line,
                            message,
                        });
                    }
                    batch.clear();
                }
            }
        }
        if self.clean && !batch.is_empty() {
            self.send(batch, sender);
        }
        for (line, message) in parser.finish(&self.indexes) {
            let name = self.name.clone();
            self.error(RowError {
                file: name,
                line,
                message,
            });
        }
    }
}

/// Equal rows, ignoring what the import derives (`seen_import`).
fn same_content(kind: Kind, old: &Row, new: &Row) -> bool {
    if kind == Kind::Items {
        let n = new.len();
        old[..n - 1] == new[..n - 1]
    } else {
        old == new
    }
}

fn progress_bar(path: &Path, name: &str) -> indicatif::ProgressBar {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg:>16} [{bar:30}] {bytes}/{total_bytes} {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(name.to_string());
    bar
}
