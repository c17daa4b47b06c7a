//! Reading one file of an import, on blocking threads beside the writer.
//!
//! One thread reads the file in chunks of records as they are (csv
//! tokenizing, the length and quote guard). Several threads check the
//! chunks, each record on its own (its cells, against the indexes) and,
//! while the call has no bad row, prepare the chunk's rows as a batch (the
//! writes of new rows, or their comparison with the stored ones, bound).
//! One thread takes the checked chunks in file order: it checks what spans
//! rows (a key seen twice), collects the problems in line order and hands
//! the batches to the writer, in file order, until the first bad row.
//!
//! Colleagues and customers add to the indexes as they are read, for the
//! rows after them: their files are checked on one thread, in order.

use foldhash::{HashSet, HashSetExt as _};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::csvfile::{Chunk, CsvFile, Record};
use super::rows::{self, FileChecks, Indexes, Parsed, Parser};
use super::run::Problems;
use super::stamp::ImportStamp;
use super::{FileKind, RowError};
use crate::store::history::HistoryEvent;
use crate::store::table::{Prepared, Probe, Row, Statements};
use crate::store::{Backend, StoreError};

/// Rows written per batch.
pub(super) const BATCH: usize = 2000;
/// Rows compared per batch on PostgreSQL: one statement each (a column an
/// array), whose round trip costs more than 2,000 rows; a few batches are
/// held at a time (one per checking thread, one taken, one writing).
const PG_COMPARE_BATCH: usize = 25_000;
/// Threads checking chunks, at most (each holds a chunk and its rows).
const MAX_CHECKERS: usize = 4;

/// Where batches go: the writer.
pub(super) type Sender = tokio::sync::mpsc::Sender<Result<Batch, StoreError>>;

/// What the reader hands the writer.
pub(super) enum Batch {
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

/// How the rows of a file become batches; shared by the threads that
/// check chunks.
pub(super) struct Prep {
    /// The file name, for messages.
    pub(super) name: String,
    /// What the file holds.
    pub(super) kind: FileKind,
    /// The store's backend (placeholders, binding and writes differ).
    pub(super) backend: Backend,
    /// The import's date and id (derived columns, history, `--full`).
    pub(super) stamp: ImportStamp,
    /// Whether the table was empty when the file began.
    pub(super) fresh: bool,
    /// `--full` or `--full-all`: every items row is marked as seen.
    pub(super) full: bool,
}

impl Prep {
    /// Records read per chunk: the rows of one batch.
    fn chunk_size(&self) -> usize {
        if self.backend == Backend::Postgres && !self.fresh {
            PG_COMPARE_BATCH
        } else {
            BATCH
        }
    }

    /// A batch of valid rows, prepared as the table was when the file
    /// began: new rows, or rows to compare with the stored ones.
    fn prepare(&self, rows: Vec<(u64, Parsed)>) -> Result<Batch, StoreError> {
        if self.fresh {
            self.prepare_new(rows)
        } else {
            self.prepare_compare(rows)
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
}

/// What a file's reading leaves: the indexes with what it added, counts,
/// customers mentioned, problems.
pub(super) struct Read {
    /// The indexes, given back.
    pub(super) indexes: Indexes,
    /// Data rows read.
    pub(super) rows: u64,
    /// Customers of the items read, for `--full`.
    pub(super) mentioned: HashSet<String>,
    /// Bad rows of the file.
    pub(super) problems: Problems,
}

/// Reads, checks and prepares one file, handing batches to the writer.
pub(super) struct Reader {
    /// How rows become batches.
    prep: Prep,
    /// The indexes, lent for the file.
    indexes: Indexes,
    /// The rows taken in file order.
    tally: Tally,
}

impl Reader {
    /// A reader of the file `prep` describes; `clean` when the call has
    /// had no bad row yet (batches are written).
    pub(super) fn new(prep: Prep, indexes: Indexes, clean: bool) -> Reader {
        Reader {
            tally: Tally {
                name: prep.name.clone(),
                clean,
                problems: Problems::default(),
                rows: 0,
                mentioned: HashSet::new(),
                checks: FileChecks::default(),
            },
            prep,
            indexes,
        }
    }

    /// Reads the whole file, checks every record and hands the batches to
    /// `sender` while every row so far is good.
    pub(super) fn read(mut self, csv: &mut CsvFile, parser: &Parser, sender: &Sender) -> Read {
        let mut first = Chunk::default();
        csv.read_chunk(&mut first, self.prep.chunk_size());
        self.tally.checks.reserve(csv.estimate_records(first.len()));
        let checkers = std::thread::available_parallelism()
            .map_or(1, NonZeroUsize::get)
            .min(MAX_CHECKERS);
        if parser.independent() && checkers > 1 {
            self.read_parallel(csv, first, parser, sender, checkers);
        } else {
            self.read_in_order(csv, first, parser, sender);
        }
        let Reader {
            indexes, mut tally, ..
        } = self;
        for (line, message) in tally.checks.finish(&indexes) {
            tally.error(RowError {
                file: tally.name.clone(),
                line,
                message,
            });
        }
        Read {
            indexes,
            rows: tally.rows,
            mentioned: tally.mentioned,
            problems: tally.problems,
        }
    }

    /// One thread: each record is checked after the rows before it have
    /// added to the indexes.
    fn read_in_order(&mut self, csv: &mut CsvFile, first: Chunk, parser: &Parser, sender: &Sender) {
        let Reader {
            prep,
            indexes,
            tally,
        } = self;
        let size = prep.chunk_size();
        let width = csv.headers.len();
        let mut chunk = first;
        while !chunk.is_end() {
            let checks = &mut tally.checks;
            let checked = check_chunk(chunk, prep, width, tally.clean, |rec| {
                let mut checked = parser.check(rec, indexes);
                checks.add(rec.line, &mut checked, indexes);
                checked
            });
            chunk = tally.take(checked, parser, indexes, width, sender);
            // After an error that stops the reading, the next chunk is the end.
            csv.read_chunk(&mut chunk, size);
        }
    }

    /// Several threads: this one reads chunks and deals them in turn to
    /// `checkers` threads, whose results another takes in the same turn.
    fn read_parallel(
        &mut self,
        csv: &mut CsvFile,
        first: Chunk,
        parser: &Parser,
        sender: &Sender,
        checkers: usize,
    ) {
        let Reader {
            prep,
            indexes,
            tally,
        } = self;
        let (prep, indexes) = (&*prep, &*indexes);
        let size = prep.chunk_size();
        let width = csv.headers.len();
        // Whether batches are still prepared: false from the first bad row.
        let writing = AtomicBool::new(tally.clean);
        let writing = &writing;
        std::thread::scope(|scope| {
            let mut to_checkers = Vec::with_capacity(checkers);
            let mut from_checkers = Vec::with_capacity(checkers);
            for _ in 0..checkers {
                let (to_checker, chunks) = mpsc::sync_channel::<Chunk>(1);
                // A checker holds its chunk until it is taken: the rows of
                // a file in memory stay a few batches.
                let (to_taker, checked) = mpsc::sync_channel::<CheckedChunk>(0);
                scope.spawn(move || {
                    for chunk in chunks {
                        let writes = writing.load(Ordering::Relaxed);
                        let done = check_chunk(chunk, prep, width, writes, |rec| {
                            parser.check(rec, indexes)
                        });
                        if to_taker.send(done).is_err() {
                            break;
                        }
                    }
                });
                to_checkers.push(to_checker);
                from_checkers.push(checked);
            }
            // Chunks taken, back to this thread for their buffers.
            let (spent, reuse) = mpsc::channel::<Chunk>();
            scope.spawn(move || {
                for turn in (0..checkers).cycle() {
                    let Ok(checked) = from_checkers[turn].recv() else {
                        // Chunk n went to checker n % checkers: the first
                        // one missing is the end.
                        break;
                    };
                    let chunk = tally.take(checked, parser, indexes, width, sender);
                    writing.store(tally.clean, Ordering::Relaxed);
                    let _ = spent.send(chunk);
                }
            });
            let mut chunk = first;
            for turn in (0..checkers).cycle() {
                if chunk.is_end() {
                    break;
                }
                let stopped = chunk.stopped.is_some();
                if to_checkers[turn].send(chunk).is_err() || stopped {
                    break;
                }
                chunk = reuse.try_recv().unwrap_or_default();
                csv.read_chunk(&mut chunk, size);
            }
            drop(to_checkers);
        });
    }
}

/// A chunk's records, each checked on its own.
struct CheckedChunk {
    /// The records (to write a key again, and for reuse).
    chunk: Chunk,
    /// What each record gave, in file order.
    outcomes: Vec<Outcome>,
    /// The chunk's rows prepared, when every record was a good row and
    /// batches were still written when it was checked.
    batch: Option<Result<Batch, StoreError>>,
    /// Items: the customers of its good rows (a customer once per run of
    /// rows).
    mentioned: Vec<String>,
}

/// What one record gave.
enum Outcome {
    /// Not a row: its fields are not as many as the header's, or not UTF-8.
    Unreadable(RowError),
    /// A row, record `index` of its chunk, with what is wrong with it on
    /// its own and the fingerprint of its key.
    Row {
        /// The record's position in its chunk.
        index: usize,
        /// Its line.
        line: u64,
        /// The fingerprint of its key, when given whole.
        key: Option<u128>,
        /// What is wrong with it on its own.
        errors: Vec<String>,
    },
}

/// Checks the records of `chunk` (blank lines skipped) with `check`, and,
/// when all are good rows and `writing`, prepares them as a batch.
fn check_chunk(
    chunk: Chunk,
    prep: &Prep,
    width: usize,
    writing: bool,
    mut check: impl FnMut(&Record<'_>) -> rows::Checked,
) -> CheckedChunk {
    let mut outcomes = Vec::with_capacity(chunk.len());
    let mut rows = Vec::with_capacity(if writing { chunk.len() } else { 0 });
    let mut mentioned: Vec<String> = Vec::new();
    let mut good = chunk.stopped.is_none();
    {
        let mut fields = Vec::new();
        for index in 0..chunk.len() {
            let rec = match chunk.record(index, &prep.name, width, std::mem::take(&mut fields)) {
                None => continue,
                Some(Err(e)) => {
                    good = false;
                    outcomes.push(Outcome::Unreadable(e));
                    continue;
                }
                Some(Ok(rec)) => rec,
            };
            let checked = check(&rec);
            let line = rec.line;
            fields = rec.fields;
            if checked.errors.is_empty() {
                if prep.kind == FileKind::Items
                    && let Some(customer) = checked.parsed.row[0].as_text()
                    && mentioned.last().is_none_or(|last| last != customer)
                {
                    mentioned.push(customer.to_string());
                }
                if good && writing {
                    rows.push((line, checked.parsed));
                }
            } else {
                good = false;
            }
            outcomes.push(Outcome::Row {
                index,
                line,
                key: checked.key,
                errors: checked.errors,
            });
        }
    }
    let batch = (good && writing && !rows.is_empty()).then(|| prep.prepare(rows));
    CheckedChunk {
        chunk,
        outcomes,
        batch,
        mentioned,
    }
}

/// The rows of a file taken in file order.
struct Tally {
    /// The file name, for messages.
    name: String,
    /// No bad row yet in this call: batches are still sent to be written.
    clean: bool,
    /// Bad rows of this file.
    problems: Problems,
    /// Data rows read.
    rows: u64,
    /// Customers of the items read, for `--full`.
    mentioned: HashSet<String>,
    /// Keys seen, group leaders.
    checks: FileChecks,
}

impl Tally {
    fn error(&mut self, e: RowError) {
        self.clean = false;
        self.problems.push(e.escaped());
    }

    /// Takes the next checked chunk: checks its keys against the earlier
    /// rows', records its problems, and hands its batch to the writer if
    /// every row so far is good (stops writing, and only checks, once the
    /// writer is gone). Gives the chunk back, for its buffers.
    fn take(
        &mut self,
        checked: CheckedChunk,
        parser: &Parser,
        ix: &Indexes,
        width: usize,
        sender: &Sender,
    ) -> Chunk {
        let CheckedChunk {
            mut chunk,
            outcomes,
            batch,
            mentioned,
        } = checked;
        for outcome in outcomes {
            match outcome {
                Outcome::Unreadable(e) => self.error(e),
                Outcome::Row {
                    index,
                    line,
                    key,
                    mut errors,
                } => {
                    self.rows += 1;
                    // The row again, to write its key (rare: a bad file).
                    let key_text = || match chunk.record(index, &self.name, width, Vec::new()) {
                        Some(Ok(rec)) => parser.key_text(&parser.check(&rec, ix).parsed.row),
                        _ => String::new(),
                    };
                    errors.extend(self.checks.admit(line, key, key_text));
                    for message in errors {
                        self.error(RowError {
                            file: self.name.clone(),
                            line,
                            message,
                        });
                    }
                }
            }
        }
        if let Some(e) = chunk.stopped.take() {
            self.error(e);
        }
        for customer in mentioned {
            if !self.mentioned.contains(&customer) {
                self.mentioned.insert(customer);
            }
        }
        if self.clean
            && let Some(batch) = batch
            && sender.blocking_send(batch).is_err()
        {
            // The writer stopped (a store error): only validate.
            self.clean = false;
        }
        chunk
    }
}
