//! The import loop of one file: a reader on a blocking thread validates
//! records and prepares batches (the writes of new rows, or the comparison
//! of rows with the stored ones, bound); the writer runs them, resolves the
//! rows the database found new or changed, counts and writes them.

use foldhash::{HashSet, HashSetExt as _};
use std::path::Path;
use std::sync::Arc;

use super::csvfile::CsvFile;
use super::progress::Progress;
use super::rows::{self, Indexes, Parsed, Parser};
use super::stamp::ImportStamp;
use super::{FileKind, FileReport, Full, ImportError, Options, RowError};
use crate::store::history::{self, HistoryEvent};
use crate::store::payments::{self, PaymentRow};
use crate::store::table::{self, Prepared, Probe, Row, Statements, Writes};
use crate::store::{Backend, StoreError, Tx};

/// Rows written per batch.
const BATCH: usize = 2000;
/// Rows compared per batch on PostgreSQL: one statement each (a column an
/// array), whose round trip costs more than its rows.
const PG_COMPARE_BATCH: usize = 50_000;
/// Bad rows kept for the report; the rest are counted.
const MAX_REPORTED: usize = 1000;

/// Problems found so far: the first [`MAX_REPORTED`] kept, the rest counted.
#[derive(Debug, Default)]
pub(super) struct Problems {
    /// The problems kept for the report.
    pub(super) kept: Vec<RowError>,
    /// How many more there were.
    pub(super) more: usize,
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

    pub(super) fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.more == 0
    }
}

/// The state of one import call.
pub(super) struct Run<'o> {
    /// The options.
    pub(super) opts: &'o Options,
    /// This import's date, id (marks the items it saw, for `--full`),
    /// instant and origin.
    pub(super) stamp: ImportStamp,
    /// Bad rows so far.
    pub(super) problems: Problems,
    /// Customers mentioned by items files, for `--full`.
    pub(super) mentioned: HashSet<String>,
    /// Status changes of the batch being written (appended with it).
    pub(super) history: Vec<HistoryEvent>,
    /// Told how far each file is read, if anyone asked.
    pub(super) progress: Option<Arc<dyn Progress>>,
}

impl Run<'_> {
    fn error(&mut self, e: RowError) {
        self.problems.push(e.escaped());
    }

    pub(super) async fn file(
        &mut self,
        tx: &mut Tx,
        indexes: &mut Indexes,
        kind: FileKind,
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
        let progress = self.progress.clone();
        if let Some(progress) = &progress {
            let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            progress.start(&name, len);
        }
        let mut csv = match CsvFile::open(path, progress.clone()) {
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
        // the reader also derives them and prepares the writes, and this
        // task only runs them. Into a table with rows, the reader binds the
        // comparison of each batch with the stored rows, which the
        // database runs, returning only the rows that are new or changed.
        let (sender, mut batches) = tokio::sync::mpsc::channel::<Result<Batch, StoreError>>(2);
        let mut reader = Reader {
            name: name.clone(),
            kind,
            indexes: std::mem::take(indexes),
            clean: self.problems.is_empty(),
            problems: Problems::default(),
            rows: 0,
            mentioned: HashSet::new(),
            backend: tx.backend(),
            stamp: self.stamp.clone(),
            fresh: empty_at_start,
            full: self.opts.full != Full::No,
        };
        let reading = tokio::task::spawn_blocking(move || {
            reader.read(&mut csv, &mut parser, &sender);
            reader
        });
        let mut writes = Writes::new(table, empty_at_start);
        let mut pending = Pending::default();
        while let Some(batch) = batches.recv().await {
            match batch? {
                Batch::Compare { rows, probe, mark } => {
                    self.flush(
                        tx,
                        kind,
                        rows,
                        probe,
                        mark,
                        (&mut writes, &mut pending),
                        &mut report,
                    )
                    .await?;
                }
                Batch::Ready {
                    prepared,
                    history,
                    rows,
                } => {
                    writes.run(tx, prepared).await?;
                    history::append_history(tx, &history).await?;
                    report.inserted += rows;
                }
            }
        }
        self.write_pending(tx, &mut writes, &mut pending).await?;
        // PostgreSQL: the staged rows into the table, before the next file
        // (whose rows may refer to them) is read.
        writes.finish(tx).await?;
        let reader = reading
            .await
            .map_err(|e| ImportError::Usage(format!("reading {name} failed: {e}")))?;
        if let Some(progress) = progress {
            progress.finish();
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

    /// Takes a batch: runs its comparison with the stored rows, resolves
    /// the rows that are new or may have changed against the stored ones,
    /// counts, and gathers those that did change with the payments of the
    /// items whose remaining went down (written by `write_pending`). The
    /// others are unchanged.
    #[allow(clippy::too_many_arguments)]
    async fn flush(
        &mut self,
        tx: &mut Tx,
        kind: FileKind,
        batch: Vec<(u64, Parsed)>,
        probe: Probe,
        mark: Option<Statements>,
        (writes, pending): (&mut Writes, &mut Pending),
        report: &mut FileReport,
    ) -> Result<(), ImportError> {
        if batch.is_empty() {
            return Ok(());
        }
        let flagged = table::probe(tx, kind.table(), probe).await?;
        report.unchanged += (batch.len() - flagged.len()) as u64;
        let mut batch: Vec<Option<Parsed>> = batch.into_iter().map(|(_, p)| Some(p)).collect();
        let changed = &mut pending.rows;
        let paid = &mut pending.paid;
        for (n, old) in flagged {
            let Some(Parsed { mut row, paid_on }) = batch.get_mut(n).and_then(Option::take) else {
                continue;
            };
            let old = old.as_ref();
            rows::resolve(kind, &mut row, old);
            if kind == FileKind::Items {
                self.history
                    .extend(self.stamp.derive(&mut row, old, &report.file));
                paid.extend(rows::payment(
                    &row,
                    old,
                    paid_on.as_deref(),
                    &self.stamp.today,
                ));
            }
            match old {
                None => {
                    report.inserted += 1;
                    changed.push(row);
                }
                Some(old) if same_content(kind, old, &row) => report.unchanged += 1,
                Some(_) => {
                    report.updated += 1;
                    changed.push(row);
                }
            }
        }
        // `--full`: every row of the file is seen, changed or not.
        if let Some(mark) = mark {
            mark.run(tx).await?;
        }
        if pending.rows.len() + pending.paid.len() + self.history.len() >= BATCH {
            self.write_pending(tx, writes, pending).await?;
        }
        Ok(())
    }

    /// Writes the changed rows gathered from batches, their status changes
    /// and payments: few changed rows a batch are written together, a
    /// statement for many.
    async fn write_pending(
        &mut self,
        tx: &mut Tx,
        writes: &mut Writes,
        pending: &mut Pending,
    ) -> Result<(), ImportError> {
        // A dry run writes too, inside the transaction it then rolls back:
        // later files of the call are validated against these rows.
        writes.write(tx, std::mem::take(&mut pending.rows)).await?;
        // Status changes go with their rows: memory does not grow with them.
        history::append_history(tx, &self.history).await?;
        self.history.clear();
        // Only rows whose remaining went down make one: an unchanged
        // re-import writes none.
        payments::record(tx, self.stamp.import_id, &self.stamp.now, &pending.paid).await?;
        pending.paid.clear();
        Ok(())
    }
}

/// Changed rows and their payments, not yet written.
#[derive(Default)]
struct Pending {
    /// The rows to write.
    rows: Vec<Row>,
    /// The payments they record.
    paid: Vec<PaymentRow>,
}

/// What the reader hands the writer.
enum Batch {
    /// Validated rows of a file into a table with rows, with their
    /// comparison with the stored rows, bound.
    Compare {
        /// The rows, with their lines.
        rows: Vec<(u64, Parsed)>,
        /// Their comparison with the stored rows.
        probe: Probe,
        /// `--full`, items: marking every row of the batch as seen.
        mark: Option<Statements>,
    },
    /// New rows, derived and prepared by the reader.
    Ready {
        /// The writes.
        prepared: Prepared,
        /// The status changes they make.
        history: Vec<HistoryEvent>,
        /// How many rows.
        rows: u64,
    },
}

/// Reads and validates one file on a blocking thread.
struct Reader {
    /// The file name, for messages.
    name: String,
    /// What the file holds.
    kind: FileKind,
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
    /// The store's backend (placeholders, binding and writes differ).
    backend: Backend,
    /// The import's date and id (derived columns, history, `--full`).
    stamp: ImportStamp,
    /// Whether the table was empty when the file began.
    fresh: bool,
    /// `--full` or `--full-all`: every items row is marked as seen.
    full: bool,
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
        rows: Vec<(u64, Parsed)>,
        sender: &tokio::sync::mpsc::Sender<Result<Batch, StoreError>>,
    ) {
        let batch = if self.fresh {
            self.prepare_new(rows)
        } else {
            self.prepare_compare(rows)
        };
        if sender.blocking_send(batch).is_err() {
            // The writer stopped (a store error): only validate.
            self.clean = false;
        }
    }

    /// New rows: resolved with their defaults, derived and prepared.
    fn prepare_new(&self, rows: Vec<(u64, Parsed)>) -> Result<Batch, StoreError> {
        let count = rows.len() as u64;
        let mut history = Vec::new();
        let rows: Vec<Row> = rows
            .into_iter()
            .map(|(_, Parsed { mut row, .. })| {
                // New items: no payment (we do not know when).
                rows::resolve(self.kind, &mut row, None);
                if self.kind == FileKind::Items {
                    history.extend(self.stamp.derive(&mut row, None, &self.name));
                }
                row
            })
            .collect();
        let prepared = self.kind.table().prepare(self.backend, rows, false)?;
        Ok(Batch::Ready {
            prepared,
            history,
            rows: count,
        })
    }

    /// Rows for a table with rows: their comparison with the stored rows
    /// (and, for `--full` items, their marking as seen), bound.
    fn prepare_compare(&self, rows: Vec<(u64, Parsed)>) -> Result<Batch, StoreError> {
        let table = self.kind.table();
        let probed: Vec<(&Row, u64)> = rows
            .iter()
            .map(|(_, p)| (&p.row, rows::unsaid(self.kind, &p.row)))
            .collect();
        let probe = table.prepare_probe(self.backend, &probed)?;
        let mark = if self.full && self.kind == FileKind::Items {
            let keys: Vec<&Row> = rows.iter().map(|(_, p)| &p.row).collect();
            Some(table.prepare_mark(self.backend, &keys, "seen_import", self.stamp.import_id)?)
        } else {
            None
        };
        Ok(Batch::Compare { rows, probe, mark })
    }

    fn read(
        &mut self,
        csv: &mut CsvFile,
        parser: &mut Parser,
        sender: &tokio::sync::mpsc::Sender<Result<Batch, StoreError>>,
    ) {
        let size = if self.backend == Backend::Postgres && !self.fresh {
            PG_COMPARE_BATCH
        } else {
            BATCH
        };
        let mut batch: Vec<(u64, Parsed)> = Vec::with_capacity(size);
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
                    if self.kind == FileKind::Items
                        && let Some(customer) = row.row[0].as_text()
                        && !self.mentioned.contains(customer)
                    {
                        self.mentioned.insert(customer.to_string());
                    }
                    if self.clean {
                        batch.push((line, row));
                        if batch.len() >= size {
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
fn same_content(kind: FileKind, old: &Row, new: &Row) -> bool {
    if kind == FileKind::Items {
        let n = new.len();
        old[..n - 1] == new[..n - 1]
    } else {
        old == new
    }
}
