//! The planning fixtures (tests/planning/README.md): each case runs the real
//! binary on a fresh SQLite store, command after command, and compares the
//! JSON it prints with the expectation computed by hand from docs/reference/planning.md.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::copy_dir;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Splits a command line into arguments; double quotes group words.
fn split_args(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    args.push(std::mem::take(&mut current));
                    any = false;
                }
            }
            c => {
                current.push(c);
                any = true;
            }
        }
    }
    if any {
        args.push(current);
    }
    args
}

fn strip_why(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("why");
            map.values_mut().for_each(strip_why);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_why),
        _ => {}
    }
}

struct Step {
    line: usize,
    args: Vec<String>,
    exit: i32,
    expected: String,
}

fn parse_script(text: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            steps.push(Step {
                line: n + 1,
                args: split_args(cmd),
                exit: 0,
                expected: String::new(),
            });
            continue;
        }
        let Some(step) = steps.last_mut() else {
            continue;
        };
        if step.expected.is_empty()
            && let Some(code) = line.trim().strip_prefix("exit ")
        {
            step.exit = code.trim().parse().expect("exit N");
            continue;
        }
        if step.expected.is_empty() && (line.trim().is_empty() || line.starts_with('#')) {
            continue;
        }
        step.expected.push_str(line);
        step.expected.push('\n');
    }
    steps
}

/// Runs one case; returns what went wrong.
fn run_case(case: &Path) -> Result<(), String> {
    let script =
        std::fs::read_to_string(case.join("script")).map_err(|e| format!("script: {e}"))?;
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    copy_dir(&root().join("config"), &work.path().join("config"));
    for entry in std::fs::read_dir(case).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &work.path().join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), work.path().join(entry.file_name()))
                .map_err(|e| e.to_string())?;
        }
    }
    let db = format!("sqlite://{}", work.path().join("relance.db").display());
    for step in parse_script(&script) {
        let output = Command::new(env!("CARGO_BIN_EXE_relance"))
            .current_dir(work.path())
            .args(["--config", "config", "--db", &db])
            .args(&step.args)
            .env_remove("RELANCE_CONFIG")
            .env_remove("RELANCE_DB")
            .env("NO_COLOR", "1")
            .output()
            .map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let place = format!("script:{} `{}`", step.line, step.args.join(" "));
        if output.status.code() != Some(step.exit) {
            return Err(format!(
                "{place}: exit {:?}, expected {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
                output.status.code(),
                step.exit
            ));
        }
        if step.expected.trim().is_empty() {
            continue;
        }
        let mut expected: Value = serde_json::from_str(&step.expected)
            .map_err(|e| format!("{place}: the expected output is not JSON: {e}"))?;
        let mut actual: Value = serde_json::from_str(&stdout)
            .map_err(|e| format!("{place}: the output is not JSON: {e}\n{stdout}\n{stderr}"))?;
        strip_why(&mut expected);
        strip_why(&mut actual);
        only_expected_keys(&expected, &mut actual);
        if expected != actual {
            return Err(format!(
                "{place}: output differs\nexpected:\n{}\nactual:\n{}",
                serde_json::to_string_pretty(&expected).unwrap_or_default(),
                serde_json::to_string_pretty(&actual).unwrap_or_default()
            ));
        }
    }
    Ok(())
}

/// Drops the top-level keys the expectation does not name: the documents of
/// docs/reference/cli.md are a contract that only grows (`run --json` adds `changes` and
/// `waiting_review`), and a fixture states what it was written for.
fn only_expected_keys(expected: &Value, actual: &mut Value) {
    if let (Value::Object(e), Value::Object(a)) = (expected, actual) {
        a.retain(|k, _| e.contains_key(k));
    }
}

#[test]
fn planning_fixtures_give_their_hand_computed_results() {
    let dir = root().join("tests/planning");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/planning exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("script").is_file())
        .collect();
    cases.sort();
    let only = std::env::var("CASE").ok();
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in &cases {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        ran += 1;
        if let Err(e) = run_case(case) {
            failures.push(format!("== {name}: {e}"));
        }
    }
    assert!(ran > 0, "no case ran");
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
