//! `relance fmt`: canonical, idempotent, and meaning-preserving.

use std::path::{Path, PathBuf};

use relance_dsl::fmt::{format_file, meaning};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Every `.relance` file this repository ships as valid input.
fn corpus() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["../config", "../engine/test_data/check/ok", "test_data/fmt"] {
        for entry in walk(&root().join(dir)) {
            if entry.extension().is_some_and(|e| e == "relance")
                && !entry.to_string_lossy().ends_with(".formatted.relance")
            {
                files.push(entry);
            }
        }
    }
    assert!(files.len() >= 10, "found only {files:?}");
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_messy_file_gets_the_canonical_layout() {
    let dir = root().join("test_data/fmt");
    let text = std::fs::read_to_string(dir.join("messy.relance")).expect("the fixture");
    let formatted = format_file(&text).expect("no syntax error");
    expect_test::expect_file![dir.join("messy.formatted.relance")].assert_eq(&formatted);
}

#[test]
fn formatting_twice_changes_nothing() {
    for path in corpus() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let once = format_file(&text).expect("no syntax error");
        let twice = format_file(&once).expect("formatted text parses");
        assert_eq!(once, twice, "{} is not stable under fmt", path.display());
    }
}

#[test]
fn formatting_keeps_the_meaning() {
    for path in corpus() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let formatted = format_file(&text).expect("no syntax error");
        assert!(meaning(&text).is_some(), "{} parses", path.display());
        assert_eq!(
            meaning(&text),
            meaning(&formatted),
            "{} means something else once formatted:\n{formatted}",
            path.display()
        );
    }
}

#[test]
fn formatting_keeps_every_comment() {
    for path in corpus() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let formatted = format_file(&text).expect("no syntax error");
        for line in text.lines() {
            if let Some(at) = line.find("# ").or_else(|| line.find("// ")) {
                let comment = line[at..].trim_end();
                if !line[..at].contains('"') {
                    assert!(
                        formatted.contains(comment),
                        "{}: lost the comment {comment:?}:\n{formatted}",
                        path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn meaning_ignores_layout_but_not_content() {
    let a = "scenario \"s\" {\n  step \"a\" at due + 7d { penalties }\n}\n";
    let b = "scenario \"s\" {   # comment\n\n step \"a\"   at due+7d {\n penalties\n }\n}";
    let c = "scenario \"s\" {\n  step \"a\" at due + 8d { penalties }\n}\n";
    assert_eq!(meaning(a), meaning(b));
    assert_ne!(meaning(a), meaning(c));
}

#[test]
fn a_file_with_a_syntax_error_is_not_formatted() {
    let errors = format_file("scenario \"a\" {\n  step \"x\" at due 7d { penalties }\n}\n")
        .expect_err("a syntax error");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, relance_dsl::Code::Syntax);
}
