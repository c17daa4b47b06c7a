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

mod support;

const CASES: u64 = 3000;

/// Pieces that matter to tera, the front matter and the hashtag scanner.
const PIECES: &[&str] = &[
    "{{ ", " }}", "{% ", " %}", "{# ", " #}", "{%- ", " -%}", "{{- ", " -}}",
    "for x in items", "for i in range(end=100)", "for i in range(start=5, end=-5, step_by=-1)",
    "for i in range(end=99999)", "for m in members", "for k, v in customer.custom",
    "endfor", "if ", "elif ", "else", "endif", "set y = ", "filter upper", "endfilter",
    "raw", "endraw", "include \"partials/p.html\"", "macro m(a)", "endmacro", "block b", "endblock",
    "x.reference", "x.remaining", "items", "customer.name", "account.balance", "loop.index",
    "| money", "| money(currency=\"JPY\", lang=\"fr\")", "| date", "| date(format=\"short\")",
    "| date(format=\"odd\")", "| upper", "| length", "| safe", "| escape", "| truncate(length=3)",
    "| join(sep=\",\")", "| default(value=1)", "| replace(from=\"a\", to=\"bb\")",
    "throw(message=\"no\")", "range(end=3)", "range(end=-1)", "range(end=10, step_by=0)",
    "1 + ", "* 2", "/ 0", "% 0", "~ ", "== ", "and ", "not ", "in ", "[1, 2]", "{\"a\": 1}",
    "\"text\"", "'s'", "9223372036854775807", "1e308", "-0.0", "(", ")", "[", "]", ",",
    "#items_list", "#items_list_overdue", "#balance", "#total_overdue", "#customer_name",
    "#contact_name", "#late_penalties", "#previous_date", "#items_list_collection_grouped_splitted",
    "#custom_text", "#custom_tpl", "#nope", "##", "#", "---\n", "subject: ", "reply_to: ",
    "\n", " ", "<p>", "</p>", "<b>&amp;", "é", "€", "\u{0}", "\r\n", "\t", "}}", "{{", "%}", "{%",
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
    texts
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

/// A few random changes to a text, on character boundaries.
fn mutate(rng: &mut fastrand::Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.usize(1..6) {
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

/// One case: scan, load and render `text` as `en/t.html` with a partial
/// and a template-backed hashtag that are fuzzed too.
fn one(text: &str, partial: &str, ctx: &Context) {
    let files = [
        TemplateFile { path: "en/t.html", text },
        TemplateFile { path: "partials/p.html", text: partial },
    ];
    let _ = scan(&files);
    let custom = BTreeMap::from([
        ("custom_text".to_string(), CustomHashtag::Text("<IBAN & co>".into())),
        ("custom_tpl".to_string(), CustomHashtag::Template("partials/p.html".into())),
    ]);
    let Ok(t) = Templates::load(
        [("en/t.html", text), ("partials/p.html", partial)],
        &custom,
        "en",
    ) else {
        return;
    };
    let started = Instant::now();
    let result = t.render("t", ctx, None);
    let took = started.elapsed();
    // The deadline is checked at writes and calls: allow one slow step past it.
    assert!(took < MAX_TIME + Duration::from_secs(5), "rendering took {took:?}");
    if let Ok(r) = result {
        for part in [&r.subject, &r.html, &r.text] {
            assert!(part.len() <= 2 * MAX_OUTPUT, "a part of {} bytes", part.len());
        }
    }
}

#[test]
fn templates_never_panic_and_stay_bounded() {
    let seconds: Option<u64> = std::env::var("RELANCE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok());
    let seed: u64 = match std::env::var("RELANCE_FUZZ_SEED").ok().and_then(|s| s.parse().ok()) {
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
    let mut rng = fastrand::Rng::with_seed(seed);
    loop {
        match until {
            Some(t) if Instant::now() >= t => break,
            None if executions >= CASES => break,
            _ => {}
        }
        let case_seed = rng.u64(..);
        let mut case = fastrand::Rng::with_seed(case_seed);
        let text = match case.u8(..3) {
            0 => generate(&mut case),
            _ => {
                let base = &corpus[case.usize(..corpus.len())];
                mutate(&mut case, base)
            }
        };
        let partial = if case.bool() { generate(&mut case) } else { "<p>{{ customer.name }}</p>".into() };
        let context = if case.u8(..8) == 0 { &big } else { &ctx };
        if catch_unwind(AssertUnwindSafe(|| one(&text, &partial, context))).is_err() {
            panic!("case seed {case_seed} (run seed {seed}) panicked on\n{text:?}\npartial {partial:?}");
        }
        executions += 1;
    }
    eprintln!("template fuzzing: {executions} executions from seed {seed}, no panic");
}
