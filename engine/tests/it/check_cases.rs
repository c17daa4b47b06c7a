//! Data-driven tests of `relance check` (docs/reference/language.md "Validation").
//!
//! `test_data/check/ok/` holds valid configurations, `test_data/check/err/`
//! invalid ones, each with a sibling `.txt` golden file of its rendered
//! diagnostics (`UPDATE_EXPECT=1 cargo test` rewrites them). A case is either
//! a directory (a whole configuration) or a `.relance` file, which is checked
//! as `main.relance` beside the templates and hooks of `test_data/check/base/`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use relance_dsl::Code;
use relance_dsl::diagnostic::render;
use relance_engine::config::{self, Report};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/check")
}

fn load_case(path: &Path) -> Report {
    if path.is_dir() {
        return config::load(path).expect("a readable case directory");
    }
    let mut loaded = config::read_dir(&data().join("base")).expect("the base fixture");
    let bytes = std::fs::read(path).expect("a readable case file");
    config::add_file(&mut loaded, "main.relance".into(), bytes);
    config::check(loaded)
}

/// The cases of a folder: `.relance` files and directories, sorted.
fn cases(folder: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(data().join(folder))
        .expect("the case folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "relance"))
        .collect();
    out.sort();
    out
}

#[test]
fn valid_configurations_have_no_errors() {
    let cases = cases("ok");
    assert!(cases.len() >= 5, "expected at least 5 valid cases");
    for case in cases {
        let report = load_case(&case);
        assert!(
            !report.has_errors(),
            "{} should be valid:\n{}",
            case.display(),
            render(&report.checked.diagnostics, &report.sources, false)
        );
    }
}

#[test]
fn invalid_configurations_report_their_golden_diagnostics() {
    let cases = cases("err");
    assert!(
        cases.len() >= 30,
        "expected at least 30 error cases, found {}",
        cases.len()
    );
    let mut seen: BTreeSet<&'static str> = BTreeSet::new();
    for case in cases {
        let report = load_case(&case);
        let rendered = render(&report.checked.diagnostics, &report.sources, false);
        assert!(
            report.has_errors(),
            "{} should be invalid, got:\n{rendered}",
            case.display()
        );
        seen.extend(report.checked.diagnostics.iter().map(|d| d.code.as_str()));
        let golden = case.with_extension("txt");
        expect_test::expect_file![golden].assert_eq(&rendered);
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !seen.contains(c))
        .collect();
    assert!(missing.is_empty(), "no error case covers {missing:?}");
}

#[test]
fn the_shipped_example_configuration_is_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let report = config::load(&dir).expect("config/ exists");
    let rendered = render(&report.checked.diagnostics, &report.sources, false);
    assert!(!report.has_errors(), "{rendered}");
    // Complete in every language it has, with a sender: not one warning.
    assert_eq!(report.checked.diagnostics.len(), 0, "{rendered}");
    assert_eq!(report.checked.summary.scenarios, 3);
    assert_eq!(report.checked.summary.steps, 11);
}

/// A template whose loops pass a rendering bound whatever the data fails
/// `check`, naming the file, before any message is sent.
#[test]
fn a_template_looping_past_the_rendering_bounds_fails_the_check() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let mut loaded = relance_engine::config::read_dir(&dir).expect("config/ is readable");
    let clean = relance_engine::config::check(loaded.clone());
    assert!(!clean.has_errors(), "the example is valid");
    relance_engine::config::add_file(
        &mut loaded,
        "templates/en/loops.html".into(),
        b"---\nsubject: Loops\n---\n{% for i in range(end=10000) %}{% for j in range(end=10000) %}{{ i }}{{ j }}{% endfor %}{% endfor %}\n".to_vec(),
    );
    let report = relance_engine::config::check(loaded);
    assert!(report.has_errors());
    let messages: Vec<String> = report
        .checked
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect();
    assert!(
        messages.iter().any(|m| m.starts_with("template en/loops.html: ")
            && m.contains("range: this message's range() calls would produce more than 100000 numbers in all")),
        "{messages:#?}"
    );
}

/// `templates/<lang>/internal/` holds the internal notifications' overrides:
/// a valid digest passes (customer templates never see it, hashtags and
/// all), a misspelt variable or a file that is no internal template fails,
/// pointing at the file.
#[test]
fn internal_templates_are_checked_apart_from_customer_templates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let loaded = relance_engine::config::read_dir(&dir).expect("config/ is readable");
    let with = |path: &str, text: &str| {
        let mut l = loaded.clone();
        relance_engine::config::add_file(&mut l, path.into(), text.as_bytes().to_vec());
        relance_engine::config::check(l)
    };
    let ok = with(
        "templates/fr/internal/digest.html",
        "---\nsubject: {{ counts.total }} pour vous\n---\n{% for t in tasks %}<a href=\"{{ t.link }}\">{{ t.account }}</a>{% endfor %}",
    );
    assert!(!ok.has_errors(), "{:#?}", ok.checked.diagnostics);
    for (path, text, expected) in [
        (
            "templates/fr/internal/digest.html",
            "<p>{{ colleague.nom }}</p>",
            "internal template: template internal/fr/internal/digest.html",
        ),
        (
            "templates/en/internal/weekly.html",
            "<p>x</p>",
            "is no internal template",
        ),
    ] {
        let bad = with(path, text);
        assert!(bad.has_errors(), "{path}");
        let d = bad
            .checked
            .diagnostics
            .iter()
            .find(|d| d.message.contains(expected))
            .unwrap_or_else(|| panic!("{expected}: {:#?}", bad.checked.diagnostics));
        assert_eq!(d.code, Code::TemplateSyntax);
        let span = d.span.expect("a place");
        assert_eq!(bad.sources.get(span.file).path, path);
    }
}
