//! Nesting is bounded before any recursive walk (issue 15): a statement
//! deeper than `depth::MAX_DEPTH` is a diagnostic with its line, never a stack
//! overflow, and whatever the parser accepts goes through the checker, `fmt`
//! and `meaning` on a 2 MiB thread, the default stack of a test or a request.

use relance_dsl::check::{Env, check};
use relance_dsl::depth::{MAX_DEPTH, too_deep};
use relance_dsl::fmt::{format_file, meaning};
use relance_dsl::parse::parse_file;
use relance_dsl::{Code, FileId, SourceFile, Sources};

/// A condition of `n` levels of one shape.
type Shape = fn(usize) -> String;

/// The crashing shapes of the issue, as a condition of `n` levels.
fn shapes() -> Vec<(&'static str, Shape)> {
    vec![
        ("parentheses", |n| {
            format!("{}true{}", "(".repeat(n), ")".repeat(n))
        }),
        ("and", |n| vec!["true"; n + 1].join(" and ")),
        ("or", |n| vec!["false"; n + 1].join(" or ")),
        ("not", |n| format!("{}true", "not ".repeat(n))),
        ("minus", |n| format!("{}1 < 0", "- ".repeat(n))),
        ("lists", |n| {
            format!("1 in {}1{}", "[".repeat(n), "]".repeat(n))
        }),
        ("calls", |n| {
            format!("{}1{} > 0", "min(".repeat(n), ", 1)".repeat(n))
        }),
        ("mixed", |n| {
            format!("{}true{}", "not (1 + 2 > 0 and ".repeat(n), ")".repeat(n))
        }),
    ]
}

fn file_with(condition: &str) -> String {
    format!(
        "settings {{\n  language en\n}}\n\nalert \"deep\" for account {{\n  when {condition}\n  level low\n  notify collector\n}}\n\nscenario \"after\" {{\n  step \"s\" at due + 1d {{ task call }}\n}}\n"
    )
}

/// The largest `n` the bound accepts for a shape in the alert of `file_with`.
fn largest_accepted(shape: Shape) -> usize {
    largest(|n| file_with(&shape(n)))
}

fn largest(text: impl Fn(usize) -> String) -> usize {
    (1..=MAX_DEPTH)
        .rev()
        .find(|&n| too_deep(&text(n)).is_empty())
        .expect("one level is accepted")
}

/// A step before the due date whose condition the checker also walks for
/// what it reads (W005).
fn early_step(condition: &str) -> String {
    format!(
        "scenario \"early\" {{\n  step \"s\" at due - 5d when {condition} {{ task call }}\n}}\n"
    )
}

/// Runs `f` on a thread with the default 2 MiB stack.
fn small_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn_scoped(s, f)
            .expect("a thread")
            .join()
            .expect("no stack overflow, no panic")
    })
}

fn everything(text: &str) -> (Vec<relance_dsl::Diagnostic>, Option<String>) {
    let (file, mut diags) = parse_file(FileId(0), text);
    let checked = check(&[(FileId(0), file)], &Env::default());
    diags.extend(checked.diagnostics);
    let formatted = format_file(text).ok();
    if let Some(f) = &formatted {
        assert_eq!(meaning(f), meaning(text), "fmt keeps the meaning");
    }
    (diags, formatted)
}

#[test]
fn the_deepest_accepted_statements_go_through_every_walk() {
    for (name, shape) in shapes() {
        let n = largest_accepted(shape);
        assert!(n >= MAX_DEPTH / 8, "{name}: only {n} levels accepted");
        let step = early_step(&shape(largest(|n| early_step(&shape(n)))));
        for text in [file_with(&shape(n)), step] {
            assert!(too_deep(&text).is_empty(), "{name} at {n}");
            let (diags, formatted) = small_stack(|| everything(&text));
            assert!(
                diags
                    .iter()
                    .all(|d| d.code != Code::TooDeep && d.code != Code::Syntax),
                "{name} at {n}: {diags:?}"
            );
            assert!(formatted.is_some(), "{name} at {n} formats");
        }
    }
}

#[test]
fn the_crashing_inputs_of_the_issue_are_diagnostics_with_a_line() {
    for (name, shape) in shapes() {
        for n in [largest_accepted(shape) + 1, 10_000, 20_000] {
            let text = file_with(&shape(n));
            let (diags, formatted) = small_stack(|| everything(&text));
            let deep: Vec<_> = diags.iter().filter(|d| d.code == Code::TooDeep).collect();
            assert_eq!(deep.len(), 1, "{name} at {n}: {diags:?}");
            let mut sources = Sources::new();
            sources.add(SourceFile::new("main.relance", text.clone()));
            let span = deep[0].span.expect("a place");
            assert_eq!(sources.get(FileId(0)).line_col(span.start).0, 6, "{name}");
            assert!(formatted.is_none(), "fmt refuses {name} at {n}");
            // The blocks around it are still read and checked.
            assert!(
                !diags.iter().any(|d| d.message.contains("\"after\"")),
                "{diags:?}"
            );
        }
    }
}

#[test]
fn a_deep_statement_does_not_hide_the_rest_of_the_file() {
    let deep = "(".repeat(10_000);
    let text = format!(
        "scenario \"a\" {{\n  step \"s\" at due + 1d when {deep} {{ task call }}\n}}\n\nscenario \"b\" {{\n  step \"t\" at due + 1d {{ email \"x\" to nobody_known }}\n}}\n"
    );
    let (file, diags) = small_stack(|| parse_file(FileId(0), &text));
    assert_eq!(
        diags.iter().map(|d| d.code).collect::<Vec<_>>(),
        vec![Code::TooDeep]
    );
    assert_eq!(file.items.len(), 2, "the broken block and the next one");
}
