//! Reading one CSV file of an import, defensively: a BOM is skipped, the
//! delimiter (`,` or `;`) is taken from the header line, lines are bounded in
//! length (a 2 GB line is refused after 1 MiB, not loaded), a quote never
//! closed is named with the line it opens on, every field is
//! checked to be UTF-8, and binary or empty files are refused with a clear
//! message. Records are read a chunk at a time ([`Chunk`]), to be checked
//! on other threads.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use super::RowError;
use super::progress::Progress;

/// The longest line accepted.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The most records [`CsvFile::estimate_records`] tells of.
const MAX_ESTIMATE: usize = 2_000_000;

/// A CSV file opened for reading, its header parsed.
pub struct CsvFile {
    /// The name used in messages (`items.csv`).
    pub name: String,
    /// Lower-cased, trimmed column names.
    pub headers: Vec<String>,
    /// The records after the header.
    reader: csv::Reader<Limited<Counted<BufReader<File>>>>,
    /// Reused buffer for the current record.
    record: csv::ByteRecord,
    /// Set once the file cannot be read on (a line too long, a quote never
    /// closed, an IO error): no more records after the error.
    stopped: bool,
    /// The file's size in bytes.
    size: u64,
}

/// One record: its line number and its fields.
pub struct Record<'a> {
    /// 1-based line of the record in the file.
    pub line: u64,
    /// The fields, trimmed.
    pub fields: Vec<&'a str>,
}

impl CsvFile {
    /// Opens a file; `progress` is told how many bytes have been read.
    pub fn open(path: &Path, progress: Option<Arc<dyn Progress>>) -> Result<CsvFile, RowError> {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let whole = |message: String| RowError {
            file: name.clone(),
            line: 0,
            message,
        };
        let file = File::open(path).map_err(|e| whole(format!("cannot open: {e}")))?;
        let mut head = Vec::with_capacity(8192);
        file.take(8192)
            .read_to_end(&mut head)
            .map_err(|e| whole(format!("cannot read: {e}")))?;
        let text_start = if head.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        if head[text_start..].iter().all(|b| b.is_ascii_whitespace()) {
            return Err(whole("the file is empty".into()));
        }
        if head.contains(&0) {
            return Err(whole("this is a binary file, not CSV".into()));
        }
        let first_line = head[text_start..]
            .split(|b| *b == b'\n')
            .next()
            .unwrap_or_default();
        let delimiter = sniff_delimiter(first_line);

        let mut file = File::open(path).map_err(|e| whole(format!("cannot open: {e}")))?;
        let size = file.metadata().map_or(0, |m| m.len());
        if text_start > 0 {
            let mut bom = [0u8; 3];
            file.read_exact(&mut bom)
                .map_err(|e| whole(format!("cannot read: {e}")))?;
        }
        let inner = Limited::new(
            Counted {
                inner: BufReader::with_capacity(256 * 1024, file),
                progress,
            },
            delimiter,
        );
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(inner);
        let mut record = csv::ByteRecord::new();
        let has_header = reader
            .read_byte_record(&mut record)
            .map_err(|e| read_error(&name, 1, &e))?;
        if !has_header {
            return Err(whole("the file is empty".into()));
        }
        let mut headers = Vec::with_capacity(record.len());
        for field in record.iter() {
            let text = std::str::from_utf8(field).map_err(|_| RowError {
                file: name.clone(),
                line: 1,
                message: "the header is not UTF-8 text".into(),
            })?;
            headers.push(text.trim().to_lowercase());
        }
        Ok(CsvFile {
            name,
            headers,
            reader,
            record,
            stopped: false,
            size,
        })
    }

    /// The index of a column, if present.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// About how many records the file holds, from its size and the
    /// `read` records read so far (at most [`MAX_ESTIMATE`]): to make room
    /// for them at once.
    pub fn estimate_records(&self, read: usize) -> usize {
        let bytes = self.reader.position().byte().max(1);
        let estimate = self.size.saturating_mul(read as u64) / bytes;
        usize::try_from(estimate).map_or(MAX_ESTIMATE, |e| e.min(MAX_ESTIMATE))
    }

    /// Reads up to `max` more records into `chunk` (emptied first), as
    /// they are: [`Chunk::record`] checks each. After a line too long, a
    /// quote never closed or an IO error, the chunk says so
    /// ([`Chunk::stopped`]) and no more records are read.
    pub fn read_chunk(&mut self, chunk: &mut Chunk, max: usize) {
        chunk.clear();
        while !self.stopped && chunk.records.len() < max {
            let line = self.reader.position().line() + 1;
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => break,
                Err(e) => {
                    self.stopped = true;
                    chunk.stopped = Some(read_error(&self.name, line, &e));
                }
                Ok(true) => {
                    let line = self.record.position().map_or(line, |p| p.line());
                    let start = chunk.bytes.len();
                    chunk.bytes.extend_from_slice(self.record.as_slice());
                    let mut end = start;
                    for field in self.record.iter() {
                        end += field.len();
                        chunk.ends.push(end);
                    }
                    chunk.records.push((line, chunk.ends.len()));
                }
            }
        }
    }
}

/// Records read one after another, kept as read (their fields end to end)
/// so that they can be checked elsewhere, on another thread.
#[derive(Debug, Default)]
pub struct Chunk {
    /// The fields of every record, end to end.
    bytes: Vec<u8>,
    /// Where each field ends in `bytes`.
    ends: Vec<usize>,
    /// Each record's line (1-based) and where its fields end in `ends`.
    records: Vec<(u64, usize)>,
    /// What stopped the reading after these records (a line too long, a
    /// quote never closed, an IO error), if anything did.
    pub stopped: Option<RowError>,
}

impl Chunk {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.records.clear();
        self.stopped = None;
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Whether the file ended before it: no record, no error.
    pub fn is_end(&self) -> bool {
        self.records.is_empty() && self.stopped.is_none()
    }

    /// Record `i` of the file `file`, whose header has `width` columns:
    /// `None` for a blank line (no record), an error when its fields are
    /// not as many as the header's or not UTF-8, else its fields trimmed,
    /// into `fields` (emptied first, handed back with the record to be
    /// reused).
    pub fn record<'c>(
        &'c self,
        i: usize,
        file: &str,
        width: usize,
        mut fields: Vec<&'c str>,
    ) -> Option<Result<Record<'c>, RowError>> {
        let (line, last) = self.records[i];
        let first = if i == 0 { 0 } else { self.records[i - 1].1 };
        let ends = &self.ends[first..last];
        let mut start = if first == 0 { 0 } else { self.ends[first - 1] };
        if ends.len() != width {
            // A blank line is no record.
            if ends.len() == 1
                && self.bytes[start..ends[0]]
                    .iter()
                    .all(u8::is_ascii_whitespace)
            {
                return None;
            }
            return Some(Err(RowError {
                file: file.to_string(),
                line,
                message: format!("{} fields, but the header has {width}", ends.len()),
            }));
        }
        fields.clear();
        for &end in ends {
            match std::str::from_utf8(&self.bytes[start..end]) {
                Ok(text) => fields.push(text.trim()),
                Err(_) => {
                    return Some(Err(RowError {
                        file: file.to_string(),
                        line,
                        message: "not UTF-8 text (save the file as UTF-8)".into(),
                    }));
                }
            }
            start = end;
        }
        Some(Ok(Record { line, fields }))
    }
}

fn read_error(file: &str, line: u64, e: &csv::Error) -> RowError {
    // The length and quote guard counts lines itself and says which one.
    let refused = match e.kind() {
        csv::ErrorKind::Io(io) => io.get_ref().and_then(|r| r.downcast_ref::<Refused>()),
        _ => None,
    };
    let (line, message) = match (refused, e.kind()) {
        (Some(r), _) => (r.line, r.message.clone()),
        (None, csv::ErrorKind::Io(io)) => (line, format!("cannot read: {io}")),
        (None, other) => (
            e.position().map_or(line, |p| p.line()),
            format!("{other:?}"),
        ),
    };
    RowError {
        file: file.to_string(),
        line,
        message,
    }
}

/// `;` when the header line has more semicolons than commas (outside quotes).
fn sniff_delimiter(header: &[u8]) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// Tells [`Progress`] how many bytes were read.
struct Counted<R> {
    inner: R,
    progress: Option<Arc<dyn Progress>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(progress) = &self.progress {
            progress.advance(n as u64);
        }
        Ok(n)
    }
}

/// Why [`Limited`] stopped a read: a line too long or a quote never
/// closed, with the line to name (csv's position is lost in an IO error).
#[derive(Debug)]
struct Refused {
    /// 1-based line the problem is on (or starts on).
    line: u64,
    /// What is wrong.
    message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refused {}

/// Where the CSV lexer is, as far as quotes go (RFC 4180, as the csv crate
/// reads by default: a quote opens a field only at its start; `""` inside
/// a quoted field is a quote).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// At the start of a field.
    FieldStart,
    /// In a field that did not start with a quote.
    Plain,
    /// Inside a quoted field that opened on this line.
    Open(u64),
    /// Just after a quote inside a quoted field (closed, or the first of `""`).
    MaybeClosed(u64),
}

/// Fails the read when a line grows past [`MAX_LINE_BYTES`], or a quoted
/// field runs past [`MAX_LINE_BYTES`] or to the end of the file unclosed, so
/// that memory stays bounded whatever the file holds and an unclosed quote
/// is named as such, with the line it opens on.
struct Limited<R> {
    inner: R,
    /// The field delimiter.
    delimiter: u8,
    /// Bytes since the last line break.
    current: usize,
    /// Bytes since the open quote, while inside a quoted field.
    quoted_bytes: usize,
    /// Line breaks seen, for the message.
    lines: u64,
    /// Quote state at the end of what was read.
    quote: Quote,
}

impl<R> Limited<R> {
    fn new(inner: R, delimiter: u8) -> Self {
        Limited {
            inner,
            delimiter,
            current: 0,
            quoted_bytes: 0,
            lines: 0,
            quote: Quote::FieldStart,
        }
    }

    fn refuse(line: u64, message: String) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, Refused { line, message })
    }

    fn unterminated(start: u64) -> String {
        format!(
            "unterminated quote starting on line {start} (a field opened with \" is never closed)"
        )
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0
            && !buf.is_empty()
            && let Quote::Open(start) = self.quote
        {
            return Err(Self::refuse(start, Self::unterminated(start)));
        }
        for &b in &buf[..n] {
            let line = self.lines + 1;
            self.quote = match (self.quote, b) {
                (Quote::FieldStart, b'"') => Quote::Open(line),
                (Quote::FieldStart | Quote::Plain, b'\n' | b'\r') => Quote::FieldStart,
                (Quote::FieldStart | Quote::Plain, d) if d == self.delimiter => Quote::FieldStart,
                (Quote::FieldStart | Quote::Plain, _) => Quote::Plain,
                (Quote::Open(start), b'"') => Quote::MaybeClosed(start),
                (Quote::Open(start), _) => Quote::Open(start),
                (Quote::MaybeClosed(start), b'"') => Quote::Open(start),
                (Quote::MaybeClosed(_), b'\n' | b'\r') => Quote::FieldStart,
                (Quote::MaybeClosed(_), d) if d == self.delimiter => Quote::FieldStart,
                (Quote::MaybeClosed(_), _) => Quote::Plain,
            };
            if let Quote::Open(start) = self.quote {
                self.quoted_bytes += 1;
                if self.quoted_bytes > MAX_LINE_BYTES {
                    return Err(Self::refuse(
                        start,
                        format!(
                            "{}: no closing quote within {} MiB",
                            Self::unterminated(start),
                            MAX_LINE_BYTES / (1024 * 1024)
                        ),
                    ));
                }
            } else {
                self.quoted_bytes = 0;
            }
            if b == b'\n' {
                self.current = 0;
                self.lines += 1;
            } else {
                self.current += 1;
                if self.current > MAX_LINE_BYTES {
                    return Err(Self::refuse(
                        line,
                        format!(
                            "the line is longer than {} MiB",
                            MAX_LINE_BYTES / (1024 * 1024)
                        ),
                    ));
                }
            }
        }
        Ok(n)
    }
}
