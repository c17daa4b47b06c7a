//! Fuzzing of the parser, the checker and the formatter (issue 15), with
//! proptest: grammar-shaped random files (expressions up to and past the
//! nesting bound included) and byte-level mutations of every `.relance` file
//! the repository ships (the example configuration, the check cases, the
//! formatter fixtures) and of the corpus in `tests/fuzz_corpus/`.
//!
//! For every input: nothing panics or overflows the stack of a 2 MiB thread,
//! `check` returns, and whatever `fmt` accepts it formats idempotently, to a
//! text with the same meaning and the same diagnostics.
//!
//! The normal test suite runs a fixed number of cases from a fixed seed.
//! `RELANCE_FUZZ_CASES=N` changes the number of cases per batch,
//! `RELANCE_FUZZ_SECONDS=S` runs batches of fresh seeds for S seconds, e.g.
//! `RELANCE_FUZZ_SECONDS=600 cargo test -p relance-dsl --test it fuzz:: -- --nocapture`.
//! A failing input is shrunk by proptest and printed; keep it as a file in
//! `tests/fuzz_corpus/` so that every later run checks it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use relance_dsl::check::{Env, check};
use relance_dsl::fmt::{format_file, meaning};
use relance_dsl::parse::parse_file;
use relance_dsl::{Code, FileId};

/// Cases per batch in the normal test suite: a few seconds in a debug build.
const CASES: u32 = 300;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn corpus_dir() -> PathBuf {
    root().join("tests/fuzz_corpus")
}

/// Every `.relance` file shipped in the repository, and the corpus.
fn seeds() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for dir in [
        root().join("../config"),
        root().join("../engine/test_data/check"),
        root().join("test_data/fmt"),
        corpus_dir(),
    ] {
        walk(&dir, &mut out);
    }
    out.sort();
    assert!(out.len() >= 40, "found only {} seed files", out.len());
    out
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "relance") {
            let text = std::fs::read_to_string(&path).expect("a UTF-8 seed");
            out.push((path, text));
        }
    }
}

/// The properties every input must have.
fn holds(text: &str) -> Result<(), TestCaseError> {
    let text = text.to_string();
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn_scoped(s, || properties(&text))
            .expect("a thread")
            .join()
            .unwrap_or_else(|_| Err(TestCaseError::fail("panicked")))
    })
}

fn codes(text: &str) -> Vec<Code> {
    let (file, mut diags) = parse_file(FileId(0), text);
    diags.extend(check(&[(FileId(0), file)], &Env::default()).diagnostics);
    let mut codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
    codes.sort_by_key(|c| c.as_str());
    codes
}

fn properties(text: &str) -> Result<(), TestCaseError> {
    let before = codes(text);
    if let Ok(formatted) = format_file(text) {
        prop_assert_eq!(
            meaning(&formatted),
            meaning(text),
            "fmt changed the meaning; formatted:\n{}",
            formatted
        );
        let again = format_file(&formatted);
        prop_assert_eq!(
            again.as_ref().ok(),
            Some(&formatted),
            "fmt is not idempotent"
        );
        prop_assert_eq!(codes(&formatted), before, "fmt changed the diagnostics");
    }
    Ok(())
}

// ------------------------------------------------------------ generators

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("item.amount".to_string()),
        Just("item.due_date".to_string()),
        Just("item.status".to_string()),
        Just("item.days_overdue".to_string()),
        Just("customer.segment".to_string()),
        Just("account.overdue_amount".to_string()),
        Just("today".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        (0u32..100_000).prop_map(|n| n.to_string()),
        (1u32..60, prop_oneof![Just("d"), Just("w"), Just("h")])
            .prop_map(|(n, u)| format!("{n}{u}")),
        (2020u32..2030, 0u32..14, 0u32..33).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        "[a-z é\"\\\\]{0,8}".prop_map(|s| format!("\"{s}\"")),
        "[a-z_]{1,8}",
    ]
}

const INFIX: &[&str] = &[
    "and", "or", "==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/",
];

fn expr() -> impl Strategy<Value = String> {
    let shallow = leaf().prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            (inner.clone(), prop::sample::select(INFIX), inner.clone())
                .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            inner.clone().prop_map(|a| format!("not {a}")),
            inner.clone().prop_map(|a| format!("-{a}")),
            inner.clone().prop_map(|a| format!("({a})")),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            (
                prop::sample::select(
                    &["days_since", "min", "max", "lower", "is_null", "hook.f"][..]
                ),
                prop::collection::vec(inner, 0..3)
            )
                .prop_map(|(f, v)| format!("{f}({})", v.join(", "))),
        ]
    });
    // Chains around the nesting bound, where the crashes of issue 15 were.
    let deep = (
        prop::sample::select(&["(", "[", "not ", "- ", "and", "or", "min("][..]),
        100usize..400,
    )
        .prop_map(|(piece, n)| match piece {
            "(" => format!("{}true{}", "(".repeat(n), ")".repeat(n)),
            "[" => format!("1 in {}1{}", "[".repeat(n), "]".repeat(n)),
            "min(" => format!("{}1{} > 0", "min(".repeat(n), ", 1)".repeat(n)),
            "and" | "or" => vec!["true"; n].join(&format!(" {piece} ")),
            prefix => format!("{}true", prefix.repeat(n)),
        });
    prop_oneof![8 => shallow, 1 => deep]
}

fn step() -> impl Strategy<Value = String> {
    (
        "[a-z_]{1,6}",
        prop_oneof![Just("+"), Just("-")],
        1u32..40,
        prop::option::of(expr()),
        prop::sample::select(
            &[
                "email \"reminder_1\" to billing",
                "letter \"notice\"",
                "task call assign collector",
                "penalties",
                "escalate \"late\"",
                "notify collector",
            ][..],
        ),
    )
        .prop_map(|(name, sign, n, when, action)| {
            let when = when.map_or(String::new(), |w| format!(" when {w}"));
            format!("  step \"{name}\" at due {sign} {n}d{when} {{ {action} }}")
        })
}

fn block() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(
            "settings {\n  company \"ACME\"\n  language en\n  default_scenario \"s\"\n}"
                .to_string()
        ),
        (prop::collection::vec(step(), 0..4))
            .prop_map(|steps| format!("scenario \"s\" {{\n{}\n}}", steps.join("\n"))),
        expr().prop_map(|e| format!("assign \"s\" when {e}")),
        expr().prop_map(|e| {
            format!("alert \"a\" for item {{\n  when {e}\n  level low\n  notify collector\n}}")
        }),
        expr().prop_map(|e| format!(
            "status \"promise\" {{\n  label \"P\"\n  suspends until {e}\n}}"
        )),
        Just("field customer.segment text".to_string()),
        Just(
            "calendar \"be\" {\n  weekend sat, sun\n  holidays 2026-01-01,\n    2026-05-01\n}"
                .to_string()
        ),
        Just("hashtag \"iban\" { text \"BE00\" }".to_string()),
        "[ -~\n]{0,40}",
    ]
}

/// A whole file: blocks separated by blank lines, comments, continuations.
fn grammar_file() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            block(),
            prop::sample::select(&["\n", "\n\n", "\n# note (\n", "\r\n", " // x [\n", "\\\n"][..]),
        ),
        1..6,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .map(|(b, sep)| format!("{b}{sep}"))
            .collect()
    })
}

/// Pieces worth inserting: what the grammar reacts to.
const INTERESTING: &[&[u8]] = &[
    b"{",
    b"}",
    b"(",
    b")",
    b"[",
    b"]",
    b"\"",
    b"#",
    b"//",
    b"\\",
    b"\n",
    b"\r\n",
    b",",
    b".",
    b"..",
    b"==",
    b"<",
    b"+",
    b"-",
    b"not ",
    b" and ",
    b" or ",
    b"7d",
    b"2026-02-30",
    b"25:00",
    b"item.",
    b"hook.",
    b"when ",
    b"step ",
    "é".as_bytes(),
    "€".as_bytes(),
    b"\t",
    b"\xff",
    b"\0",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize, usize),
    Flip(usize, u8),
    Repeat(usize, usize, usize),
}

fn apply(seed: &[u8], mutations: &[Mutation]) -> String {
    let mut b = seed.to_vec();
    for m in mutations {
        let len = b.len().max(1);
        match *m {
            Mutation::Delete(at, n) => {
                let at = at % len;
                let end = (at + n % 40).min(b.len());
                if at < end {
                    b.drain(at..end);
                }
            }
            Mutation::Insert(at, piece) => {
                let at = at % (b.len() + 1);
                let piece = INTERESTING[piece % INTERESTING.len()];
                b.splice(at..at, piece.iter().copied());
            }
            Mutation::Duplicate(from, n, to) => {
                let from = from % len;
                let end = (from + n % 200).min(b.len());
                let chunk = b[from.min(end)..end].to_vec();
                let to = to % (b.len() + 1);
                b.splice(to..to, chunk);
            }
            Mutation::Flip(at, byte) => {
                if !b.is_empty() {
                    let at = at % b.len();
                    b[at] = byte;
                }
            }
            Mutation::Repeat(at, piece, n) => {
                let at = at % (b.len() + 1);
                let piece = INTERESTING[piece % INTERESTING.len()];
                let many: Vec<u8> = piece.repeat(n % 500);
                b.splice(at..at, many);
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Mutation::Delete(a, n)),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(a, p)| Mutation::Insert(a, p)),
        3 => (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(a, n, t)| Mutation::Duplicate(a, n, t)),
        3 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
        1 => (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(a, p, n)| Mutation::Repeat(a, p, n)),
    ]
}

// ---------------------------------------------------------------- driving

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Runs `strategy` in batches of fixed seeds: one batch normally, batches of
/// fresh seeds for `RELANCE_FUZZ_SECONDS` when set. Returns the executions.
fn drive<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let cases = env_number("RELANCE_FUZZ_CASES").map_or(CASES, |n| n as u32);
    let until = env_number("RELANCE_FUZZ_SECONDS").map(|s| Instant::now() + Duration::from_secs(s));
    let started = Instant::now();
    let mut executions = 0u64;
    for batch in 0u64.. {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&batch.to_le_bytes());
        seed[8..8 + name.len().min(24)].copy_from_slice(&name.as_bytes()[..name.len().min(24)]);
        let config = Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 2000,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("{name}, batch {batch} (after {executions} executions): {e}");
        }
        executions += u64::from(cases);
        if until.is_none_or(|t| Instant::now() >= t) {
            break;
        }
    }
    eprintln!(
        "fuzz {name}: {executions} executions in {:.1}s, no failure",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn grammar_shaped_files_never_break_parse_check_or_fmt() {
    drive("grammar", grammar_file(), |text| holds(&text));
}

#[test]
fn mutated_shipped_files_never_break_parse_check_or_fmt() {
    let seeds: Vec<Vec<u8>> = seeds().into_iter().map(|(_, t)| t.into_bytes()).collect();
    let n = seeds.len();
    drive(
        "mutations",
        (0..n, prop::collection::vec(mutation(), 1..8)),
        move |(i, mutations)| holds(&apply(&seeds[i], &mutations)),
    );
}

#[test]
fn every_corpus_file_holds() {
    let corpus: Vec<_> = seeds()
        .into_iter()
        .filter(|(p, _)| p.starts_with(corpus_dir()))
        .collect();
    assert!(corpus.len() >= 5, "the corpus is in tests/fuzz_corpus/");
    for (path, text) in corpus {
        if let Err(e) = holds(&text) {
            panic!("{}: {e}", path.display());
        }
    }
}
