//! Fuzzing of the template scanner and renderer: random tera-ish text
//! (tags, filters, hashtags, loops, front matter) and mutations of the
//! corpus in `tests/fuzz_corpus/` go through `scan`, `Templates::load` and
//! `render`. None may panic, and a message that renders stays within the
//! bounds of `relance_templates::limits`.
//!
//! The normal test suite runs a fixed number of cases from a fixed seed
//! (a few seconds). `RELANCE_FUZZ_SECONDS=600` runs for that long instead,
//! from a seed taken from the clock (or `RELANCE_FUZZ_SEED`); a failing
//! case prints its seed and text, to be added to the corpus.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use relance_templates::context::Context;
use relance_templates::limits::{MAX_OUTPUT, MAX_TIME};
use relance_templates::scan::{TemplateFile, scan};
use relance_templates::{CustomHashtag, Templates};

use crate::support;

const CASES: u64 = 1000;

/// Pieces that matter to tera, the front matter and the hashtag scanner.
const PIECES: &[&str] = &[
    "{{ ",
    " }}",
    "{% ",
    " %}",
    "{# ",
    " #}",
    "{%- ",
    " -%}",
    "{{- ",
    " -}}",
    "for x in items",
    "for i in range(end=100)",
    "for i in range(start=5, end=-5, step_by=-1)",
    "for i in range(end=99999)",
    "for m in members",
    "for k, v in customer.custom",
    "endfor",
    "if ",
    "elif ",
    "else",
    "endif",
    "set y = ",
    "filter upper",
    "endfilter",
    "raw",
    "endraw",
    "include \"partials/p.html\"",
    "macro m(a)",
    "endmacro",
    "block b",
    "endblock",
    "x.reference",
    "x.remaining",
    "items",
    "customer.name",
    "account.balance",
    "loop.index",
    "| money",
    "| money(currency=\"JPY\", lang=\"fr\")",
    "| date",
    "| date(format=\"short\")",
    "| date(format=\"odd\")",
    "| upper",
    "| length",
    "| safe",
    "| escape",
    "| truncate(length=3)",
    "| join(sep=\",\")",
    "| default(value=1)",
    "| replace(from=\"a\", to=\"bb\")",
    "throw(message=\"no\")",
    "range(end=3)",
    "range(end=-1)",
    "range(end=10, step_by=0)",
    "1 + ",
    "* 2",
    "/ 0",
    "% 0",
    "~ ",
    "== ",
    "and ",
    "not ",
    "in ",
    "[1, 2]",
    "{\"a\": 1}",
    "\"text\"",
    "'s'",
    "9223372036854775807",
    "1e308",
    "-0.0",
    "(",
    ")",
    "[",
    "]",
    ",",
    "#items_list",
    "#items_list_overdue",
    "#balance",
    "#total_overdue",
    "#customer_name",
    "#contact_name",
    "#late_penalties",
    "#previous_date",
    "#items_list_collection_grouped_splitted",
    "#custom_text",
    "#custom_tpl",
    "#nope",
    "##",
    "#",
    "---\n",
    "subject: ",
    "reply_to: ",
    "\n",
    " ",
    "<p>",
    "</p>",
    "<b>&amp;",
    "é",
    "€",
    "\u{0}",
    "\r\n",
    "\t",
    "}}",
    "{{",
    "%}",
    "{%",
];

fn corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus");
    let mut texts: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    texts.sort();
    assert!(!texts.is_empty(), "the corpus is empty");
    // The corpus comes from a configuration with many partials; here there
    // is one, `partials/p.html`.
    texts
        .into_iter()
        .map(|t| {
            let mut out = String::new();
            let mut rest = t.as_str();
            while let Some(at) = rest.find("\"partials/") {
                out.push_str(&rest[..at]);
                let tail = &rest[at + 1..];
                let end = tail.find('"').map_or(tail.len(), |e| e + 1);
                out.push_str("\"partials/p.html\"");
                rest = &tail[end.min(tail.len())..];
            }
            out.push_str(rest);
            out
        })
        .collect()
}

/// A random text made of pieces and random characters.
fn generate(rng: &mut fastrand::Rng) -> String {
    let mut out = String::new();
    for _ in 0..rng.usize(1..60) {
        if rng.u8(..10) == 0 {
            out.push(rng.char(..));
        } else {
            out.push_str(PIECES[rng.usize(..PIECES.len())]);
        }
    }
    out
}

const EXPRS: &[&str] = &[
    "customer.name",
    "account.balance",
    "account.items_count",
    "x",
    "x.reference",
    "x.remaining",
    "x.due_date",
    "loop.index",
    "i",
    "items | length",
    "1 + 2",
    "\"a\" ~ customer.code",
    "i * 3",
    "previous",
    "customer.custom.segment",
    "nope.field",
    "items[0].reference",
    "members",
];
const FILTERS: &[&str] = &[
    "",
    "| money",
    "| money(currency=\"JPY\")",
    "| date",
    "| date(format=\"short\")",
    "| upper",
    "| safe",
    "| length",
    "| truncate(length=2)",
    "| default(value=\"-\")",
    "| round",
];

/// A random template with balanced tags, so that most cases reach the
/// renderer (`depth` bounds the nesting).
fn structured(rng: &mut fastrand::Rng, depth: u32, out: &mut String) {
    for _ in 0..rng.usize(1..6) {
        match rng.u8(..8) {
            0 => out.push_str(PIECES[rng.usize(..PIECES.len())]),
            1 | 2 => {
                let e = EXPRS[rng.usize(..EXPRS.len())];
                let f = FILTERS[rng.usize(..FILTERS.len())];
                out.push_str(&format!("{{{{ {e} {f} }}}}"));
            }
            3 if depth > 0 => {
                let e = EXPRS[rng.usize(..EXPRS.len())];
                out.push_str(&format!("{{% if {e} %}}"));
                structured(rng, depth - 1, out);
                if rng.bool() {
                    out.push_str("{% else %}");
                    structured(rng, depth - 1, out);
                }
                out.push_str("{% endif %}");
            }
            4 if depth > 0 => {
                let over = match rng.u8(..4) {
                    0 => "x in items".to_string(),
                    1 => "m in members".to_string(),
                    2 => format!("i in range(end={})", rng.i64(-5..20_000)),
                    _ => format!(
                        "i in range(start={}, end={}, step_by={})",
                        rng.i64(-100..100),
                        rng.i64(-100..100),
                        rng.i64(-3..4)
                    ),
                };
                out.push_str(&format!("{{% for {over} %}}"));
                structured(rng, depth - 1, out);
                out.push_str("{% endfor %}");
            }
            5 => out.push_str(
                [
                    "#items_list",
                    "#balance",
                    "#customer_name",
                    "#custom_tpl",
                    "#late_penalties",
                    "##",
                    "#nope",
                ][rng.usize(..7)],
            ),
            _ => out.push_str(["<p>", "</p>", "text ", "\n", "é€ "][rng.usize(..5)]),
        }
    }
}

/// A few random changes to a text, on character boundaries.
fn mutate(rng: &mut fastrand::Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.usize(1..3) {
        let at = rng.usize(..=chars.len());
        match rng.u8(..4) {
            0 if at < chars.len() => {
                let end = (at + rng.usize(1..20)).min(chars.len());
                chars.drain(at..end);
            }
            1 => {
                let piece = PIECES[rng.usize(..PIECES.len())];
                chars.splice(at..at, piece.chars());
            }
            2 if !chars.is_empty() => {
                let from = rng.usize(..chars.len());
                let end = (from + rng.usize(1..40)).min(chars.len());
                let copy: Vec<char> = chars[from..end].to_vec();
                chars.splice(at..at, copy);
            }
            _ => chars.insert(at, rng.char(..)),
        }
    }
    chars.into_iter().collect()
}

/// How far a case went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// `Templates::load` refused it.
    NotLoaded,
    /// It rendered.
    Rendered,
    /// Rendering failed with a tera error.
    Failed,
    /// Rendering stopped at a bound of `limits`.
    Bounded,
}

/// One case: scan, load and render `text` as `en/t.html` with a partial
/// and a template-backed hashtag that are fuzzed too.
fn one(text: &str, partial: &str, ctx: &Context) -> Outcome {
    let files = [
        TemplateFile {
            path: "en/t.html",
            text,
        },
        TemplateFile {
            path: "partials/p.html",
            text: partial,
        },
    ];
    let _ = scan(&files);
    let custom = BTreeMap::from([
        (
            "custom_text".to_string(),
            CustomHashtag::Text("<IBAN & co>".into()),
        ),
        (
            "custom_tpl".to_string(),
            CustomHashtag::Template("partials/p.html".into()),
        ),
    ]);
    let Ok(t) = Templates::load(
        [("en/t.html", text), ("partials/p.html", partial)],
        &custom,
        "en",
    ) else {
        return Outcome::NotLoaded;
    };
    let started = Instant::now();
    let result = t.render("t", ctx, None);
    let took = started.elapsed();
    // The deadline is checked at writes and calls: allow one slow step past it.
    assert!(
        took < MAX_TIME + Duration::from_secs(5),
        "rendering took {took:?}"
    );
    match result {
        Ok(r) => {
            for part in [&r.subject, &r.html, &r.text] {
                assert!(
                    part.len() <= 2 * MAX_OUTPUT,
                    "a part of {} bytes",
                    part.len()
                );
            }
            Outcome::Rendered
        }
        Err(e) => {
            let message = e.to_string();
            assert!(message.starts_with("template "), "{message}");
            if message.contains("MiB")
                || message.contains("range:")
                || message.contains("took longer")
            {
                Outcome::Bounded
            } else {
                Outcome::Failed
            }
        }
    }
}

#[test]
fn templates_never_panic_and_stay_bounded() {
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
    let ctx = support::simple(None);
    let big = support::context(
        "Big SA",
        None,
        (0..300)
            .map(|i| support::item("C001", &format!("INV-{i}"), "2026-10-01", 10.0, None))
            .collect(),
    );
    let until = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let mut executions: u64 = 0;
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut rng = fastrand::Rng::with_seed(seed);
    loop {
        match until {
            Some(t) if Instant::now() >= t => break,
            None if executions >= CASES => break,
            _ => {}
        }
        let case_seed = rng.u64(..);
        let mut case = fastrand::Rng::with_seed(case_seed);
        let text = match case.u8(..4) {
            0 => generate(&mut case),
            1 => {
                let mut text = String::new();
                structured(&mut case, 3, &mut text);
                text
            }
            _ => {
                let base = &corpus[case.usize(..corpus.len())];
                mutate(&mut case, base)
            }
        };
        let partial = if case.u8(..4) == 0 {
            generate(&mut case)
        } else {
            "<p>{{ customer.name }}</p>".into()
        };
        let context = if case.u8(..8) == 0 { &big } else { &ctx };
        match catch_unwind(AssertUnwindSafe(|| one(&text, &partial, context))) {
            Ok(outcome) => *outcomes.entry(format!("{outcome:?}")).or_default() += 1,
            Err(_) => panic!(
                "case seed {case_seed} (run seed {seed}) panicked on\n{text:?}\npartial {partial:?}"
            ),
        }
        executions += 1;
    }
    eprintln!("template fuzzing: {executions} executions from seed {seed}, no panic: {outcomes:?}");
    // The generator reaches the renderer, not only the loader's refusals.
    assert!(
        outcomes
            .get("Rendered")
            .is_some_and(|n| *n > executions / 20),
        "{outcomes:?}"
    );
}
