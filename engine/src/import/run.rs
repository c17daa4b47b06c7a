//! The import loop of one file: the reader (`read`, on blocking threads)
//! validates records and prepares batches (the writes of new rows, or the
//! comparison of rows with the stored ones, bound); the writer runs them,
//! resolves the rows the database found new or changed, counts and writes
//! them.

use foldhash::HashSet;
use std::path::Path;
use std::sync::Arc;

use super::csvfile::CsvFile;
use super::progress::Progress;
use super::read::{BATCH, Batch, Prep, Read, Reader};
use super::rows::{self, Indexes, Parsed, Parser};
use super::stamp::ImportStamp;
use super::{FileKind, FileReport, Full, ImportError, Options, RowError};
use crate::store::history::{self, HistoryEvent};
use crate::store::payments::{self, PaymentRow};
use crate::store::table::{self, Probe, Row, Statements, Writes};
use crate::store::{Backend, StoreError, Tx};

/// `COPY` text of a batch of new rows, at least (items: some 75 bytes a row).
const COPY_BYTES_PER_BATCH: usize = BATCH * 64;
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
    pub(super) fn push(&mut self, e: RowError) {
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
        let parser = match Parser::new(kind, &csv, indexes, self.opts) {
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

        // Reading and validating (CPU) runs on blocking threads and hands
        // batches to this task, in file order, which writes them (the
        // database's thread): the two overlap. The reader owns the indexes
        // meanwhile.
        // Into a table that was empty when the file began, every row is new:
        // the reader also derives them and prepares the writes, and this
        // task only runs them. Into a table with rows, the reader binds the
        // comparison of each batch with the stored rows, which the
        // database runs, returning only the rows that are new or changed.
        // One batch waits here, the reader holds the next ones; but `COPY`
        // text (new rows, PostgreSQL), small, queues here for a whole
        // `COPY` statement: the next is ready when the server is done with
        // one, and the server copies while the reader reads.
        let queue = if empty_at_start && tx.backend() == Backend::Postgres {
            table::COPY_CHUNK.div_ceil(COPY_BYTES_PER_BATCH)
        } else {
            1
        };
        let (sender, mut batches) = tokio::sync::mpsc::channel::<Result<Batch, StoreError>>(queue);
        let reader = Reader::new(
            Prep {
                name: name.clone(),
                kind,
                backend: tx.backend(),
                stamp: self.stamp.clone(),
                fresh: empty_at_start,
                full: self.opts.full != Full::No,
            },
            std::mem::take(indexes),
            self.problems.is_empty(),
        );
        let reading = tokio::task::spawn_blocking(move || reader.read(&mut csv, &parser, &sender));
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
        let reader: Read = reading
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
        // The rows the database found unchanged (most) are freed on a
        // blocking thread: this task goes on with the next batch.
        tokio::task::spawn_blocking(move || drop(batch));
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

/// Equal rows, ignoring what the import derives (`seen_import`).
fn same_content(kind: FileKind, old: &Row, new: &Row) -> bool {
    if kind == FileKind::Items {
        let n = new.len();
        old[..n - 1] == new[..n - 1]
    } else {
        old == new
    }
}
