//! Fuzz-style robustness: random mutations of the shipped example
//! configuration (characters and lines deleted, duplicated, inserted or
//! swapped) never panic the loader, the parser, the checker or the formatter;
//! and whatever the formatter accepts, it formats stably and without changing
//! the meaning. Deterministic: each case has its own seed, printed on failure.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use relance_dsl::fmt::{format_file, meaning};
use relance_engine::config::{self, Loaded};

const CASES: u64 = 1500;

/// Characters that matter to the grammar, plus a few that should not.
const INTERESTING: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "#",
    "//",
    "\\",
    "\n",
    ",",
    ".",
    "..",
    "=",
    "==",
    "<",
    "+",
    "-",
    "7d",
    "36h",
    "2026-02-30",
    "25:00",
    "item.",
    "hook.",
    "when ",
    "step ",
    "é",
    "€",
    "\t",
    "\r\n",
    "{%",
    "%}",
    "{{",
    "##",
];

fn example() -> Loaded {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    config::read_dir(&dir).expect("config/ is readable")
}

/// One random change to a text, always on character boundaries.
fn mutate(rng: &mut fastrand::Rng, text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let pick = |rng: &mut fastrand::Rng| boundaries[rng.usize(..boundaries.len())];
    match rng.u8(..6) {
        0 => {
            // delete a few characters
            let a = pick(rng);
            let b = boundaries
                .iter()
                .copied()
                .filter(|&b| b >= a)
                .nth(rng.usize(1..6))
                .unwrap_or(text.len());
            format!("{}{}", &text[..a], &text[b..])
        }
        1 => {
            // duplicate a few characters
            let a = pick(rng);
            let b = boundaries
                .iter()
                .copied()
                .filter(|&b| b >= a)
                .nth(rng.usize(1..8))
                .unwrap_or(text.len());
            format!("{}{}{}", &text[..b], &text[a..b], &text[b..])
        }
        2 if !lines.is_empty() => {
            // delete a line
            let k = rng.usize(..lines.len());
            lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != k)
                .map(|(_, l)| *l)
                .collect()
        }
        3 if !lines.is_empty() => {
            // duplicate a line
            let k = rng.usize(..lines.len());
            let mut out = String::new();
            for (i, l) in lines.iter().enumerate() {
                out.push_str(l);
                if i == k {
                    out.push_str(l);
                }
            }
            out
        }
        4 if lines.len() > 1 => {
            // swap two lines
            let (a, b) = (rng.usize(..lines.len()), rng.usize(..lines.len()));
            let mut v = lines.clone();
            v.swap(a, b);
            v.concat()
        }
        _ => {
            let a = pick(rng);
            let s = INTERESTING[rng.usize(..INTERESTING.len())];
            format!("{}{s}{}", &text[..a], &text[a..])
        }
    }
}

#[test]
fn mutated_configurations_never_panic_and_format_stably() {
    let base = example();
    let files: Vec<(String, String)> = base
        .sources
        .iter()
        .map(|(_, f)| (f.path.clone(), f.text.clone()))
        .collect();
    // Half the cases change a `.relance` file, what `fmt` reads; the example
    // has many more templates than `.relance` files.
    let relance: Vec<usize> = files
        .iter()
        .enumerate()
        .filter(|(_, (path, _))| path.ends_with(".relance"))
        .map(|(i, _)| i)
        .collect();
    let mut formatted_some = 0;
    for seed in 0..CASES {
        let mut rng = fastrand::Rng::with_seed(seed);
        let target = if rng.bool() {
            relance[rng.usize(..relance.len())]
        } else {
            rng.usize(..files.len())
        };
        let mut text = files[target].1.clone();
        for _ in 0..rng.usize(1..4) {
            text = mutate(&mut rng, &text);
        }
        let mut loaded = Loaded::default();
        for (i, (path, original)) in files.iter().enumerate() {
            let t = if i == target { &text } else { original };
            config::add_file(&mut loaded, path.clone(), t.clone().into_bytes());
        }
        let path = &files[target].0;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let report = config::check(loaded);
            let _ = relance_dsl::diagnostic::render(
                &report.checked.diagnostics,
                &report.sources,
                false,
            );
            if path.ends_with(".relance")
                && let Ok(out) = format_file(&text)
            {
                assert_eq!(
                    format_file(&out).as_ref(),
                    Ok(&out),
                    "fmt is not idempotent"
                );
                assert_eq!(meaning(&out), meaning(&text), "fmt changed the meaning");
                return true;
            }
            false
        }));
        match outcome {
            Ok(formatted) => formatted_some += usize::from(formatted),
            Err(_) => panic!("seed {seed}: mutating {path} panicked; the mutated file:\n{text}"),
        }
    }
    assert!(
        formatted_some > 100,
        "too few mutations stayed parseable ({formatted_some}) for the fmt properties to mean much"
    );
}
