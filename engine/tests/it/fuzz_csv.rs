//! Fuzzing of the CSV importer: random bytes and mutations of the valid
//! files in `tests/fuzz_corpus/` (quotes, BOMs, separators, line breaks,
//! huge fields, odd dates and amounts, bytes that are not UTF-8) go through
//! `import::csvfile` and the row validation of `relance import` (a dry run on
//! one SQLite store). Nothing may panic, and every refusal names its file
//! (and a line within the file when it has one) on one printable line.
//!
//! The normal test suite runs a fixed number of cases from a fixed seed.
//! `RELANCE_FUZZ_SECONDS=600` runs for that long from a seed taken from the
//! clock (or `RELANCE_FUZZ_SEED`); a failing case prints its seed.

use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use relance_engine::import::{self, ImportError};

const CASES: u64 = 500;

/// Pieces that matter to a CSV reader and to the row checks.
const PIECES: &[&[u8]] = &[
    b"\"",
    b"\"\"",
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b"\xEF\xBB\xBF",
    b"\xff",
    b"\xc3",
    b"\0",
    b"-",
    b" ",
    b"\"\n",
    b",\"",
    b"\",",
    b"2026-02-30",
    b"2026-13-01",
    b"31/12/2026",
    b"0000-01-01",
    b"99999-01-01",
    b"2026-1-1",
    b"1e5",
    b"NaN",
    b"-0",
    b"0.001",
    b"1,234.56",
    b"1.234,56",
    b"1 234,56",
    b"92233720368547758.07",
    b"9223372036854775807",
    b"10000000000.00",
    b"10000000000.01",
    b"\xd9\xa3",
    b"+5",
    b".",
    b",,,,,,,,,,",
    b"C001",
    b"C999",
    b"INV-1",
    b"invoice",
    b"credit_note",
    b"payment",
    b"promise",
    b"dispute",
    b"litigation",
    b"EUR",
    b"JPY",
    b"KWD",
    b"EUX",
    b"fr",
    b"xx",
    b"Europe/Paris",
    b"Mars/Base",
    b"a@b.example",
    b"a@b\r\n.example",
    b"not-an-email",
    b"\xe2\x80\xae",
    b"\xf0\x9f\x92\xb6",
];

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus");
    let mut files: Vec<(String, Vec<u8>)> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                std::fs::read(e.path()).ok().map(|b| (name, b))
            })
            .collect(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    files.sort();
    assert!(!files.is_empty(), "the corpus is empty");
    files
}

/// A few random changes to a file's bytes.
fn mutate(rng: &mut fastrand::Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..rng.usize(1..8) {
        let at = rng.usize(..=out.len());
        match rng.u8(..6) {
            0 if at < out.len() => {
                let end = (at + rng.usize(1..30)).min(out.len());
                out.drain(at..end);
            }
            1 | 2 => {
                let piece = PIECES[rng.usize(..PIECES.len())];
                out.splice(at..at, piece.iter().copied());
            }
            3 if !out.is_empty() => {
                // Duplicate a slice: whole lines, or parts of them.
                let from = rng.usize(..out.len());
                let end = (from + rng.usize(1..120)).min(out.len());
                let copy = out[from..end].to_vec();
                out.splice(at..at, copy);
            }
            4 if rng.u8(..20) == 0 => {
                // A huge field: up to twice the line limit.
                let n = rng.usize(1000..2 * 1024 * 1024 + 10);
                let byte = if rng.bool() { b'x' } else { b'"' };
                out.splice(at..at, std::iter::repeat_n(byte, n));
            }
            _ => out.insert(at, rng.u8(..)),
        }
    }
    out
}

/// Random bytes, sometimes behind a valid header.
fn random(rng: &mut fastrand::Rng, header: &[u8]) -> Vec<u8> {
    let mut out = if rng.bool() {
        header.to_vec()
    } else {
        Vec::new()
    };
    for _ in 0..rng.usize(0..400) {
        if rng.bool() {
            out.extend_from_slice(PIECES[rng.usize(..PIECES.len())]);
        } else {
            out.push(rng.u8(..));
        }
    }
    out
}

/// Checks every refusal of one case.
fn check_refusals(result: Result<import::Report, ImportError>, files: &[(String, Vec<u8>)]) {
    let errors = match result {
        Ok(_) => return,
        Err(ImportError::Invalid { errors, .. }) => errors,
        Err(other) => panic!("not a row refusal: {other}"),
    };
    assert!(!errors.is_empty(), "an invalid import without a problem");
    for e in errors {
        let printed = e.to_string();
        let file = files.iter().find(|(name, _)| *name == e.file);
        let Some((_, bytes)) = file else {
            panic!("{printed}: names no file of the import")
        };
        let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64 + 1;
        assert!(
            e.line <= lines,
            "{printed}: line past the file's {lines} lines"
        );
        assert!(!e.message.trim().is_empty(), "{printed}: no message");
        assert!(
            !printed.chars().any(char::is_control),
            "{printed:?}: a control character in a problem"
        );
    }
}

#[tokio::test]
async fn csv_files_never_panic_and_every_refusal_is_file_line_message() {
    let seconds: Option<u64> = std::env::var("RELANCE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok());
    let seed: u64 = match std::env::var("RELANCE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(s) => s,
        None if seconds.is_some() => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs()),
        None => 15,
    };
    let corpus = corpus();
    let config = support::example_config();
    let store = support::sqlite().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let until = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut executions, mut refused, mut accepted) = (0u64, 0u64, 0u64);
    loop {
        match until {
            Some(t) if Instant::now() >= t => break,
            None if executions >= CASES => break,
            _ => {}
        }
        let case_seed = rng.u64(..);
        let mut case = fastrand::Rng::with_seed(case_seed);
        // One to three files of the corpus, each mutated or replaced.
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for _ in 0..case.usize(1..=3) {
            let (name, bytes) = &corpus[case.usize(..corpus.len())];
            if files.iter().any(|(n, _)| n == name) {
                continue;
            }
            let header: Vec<u8> = bytes
                .split(|b| *b == b'\n')
                .next()
                .unwrap_or_default()
                .to_vec();
            let bytes = match case.u8(..5) {
                0 => random(&mut case, &[header, b"\n".to_vec()].concat()),
                1 => bytes.clone(),
                _ => mutate(&mut case, bytes),
            };
            files.push((name.clone(), bytes));
        }
        let mut paths = Vec::new();
        for (name, bytes) in &files {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("writing a case");
            paths.push(path);
        }
        let mut opts = support::import_options();
        opts.dry_run = case.u8(..4) != 0;
        if case.u8(..4) == 0 {
            opts.date_format = import::DateFormat::Dmy;
        }
        let guard = Case(case_seed, seed, &files);
        let result = import::import(&store.store, &config, &paths, &opts).await;
        if result.is_ok() {
            accepted += 1;
        } else {
            refused += 1;
        }
        check_refusals(result, &files);
        std::mem::forget(guard);
        for path in &paths {
            let _ = std::fs::remove_file(path);
        }
        executions += 1;
    }
    eprintln!(
        "CSV fuzzing: {executions} executions from seed {seed} ({accepted} imported, {refused} refused), no panic"
    );
    store.cleanup().await;
}

/// Prints the case when a check fails or something panics during it.
struct Case<'a>(u64, u64, &'a [(String, Vec<u8>)]);

impl Drop for Case<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("failing case: seed {} (run seed {})", self.0, self.1);
            for (name, bytes) in self.2 {
                let shown: Vec<u8> = bytes.iter().copied().take(2000).collect();
                eprintln!("--- {name}\n{:?}", String::from_utf8_lossy(&shown));
            }
        }
    }
}
