//! The report fixtures of `tests/reports/`, run by the real binary on SQLite
//! and on PostgreSQL. Each case is a directory with a `script`, its CSV
//! files and the JSON documents it expects, written by hand:
//!
//! - `import DATE FILE...`: `relance import --date DATE FILE...` (add
//!   `--full` after the date for a full import);
//! - `relance ARGS...`: any command, which must succeed;
//! - `report ARGS... => FILE.json`: `relance report ARGS --format json`,
//!   whose document must equal `FILE.json` (numbers compared as numbers:
//!   `100`, `100.0` and `100.00` are one amount).
//!
//! Cases use `tests/reports/config/` unless they have a `config/` of their own.

use std::path::{Path, PathBuf};
use std::process::Command;

use relance_test_support::pg::Database;
use serde_json::Value;

use crate::support::text;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reports")
}

/// Whether two JSON documents are equal, numbers compared by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-9,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Runs one case's script against the store `db`; the first failure.
fn run_case(case: &Path, db: &str) -> Result<usize, String> {
    let config = if case.join("config").is_dir() {
        case.join("config")
    } else {
        root().join("config")
    };
    let script = std::fs::read_to_string(case.join("script")).map_err(|e| e.to_string())?;
    let relance = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_relance"))
            .current_dir(case)
            .arg("--config")
            .arg(&config)
            .args(["--db", db])
            .args(args)
            .env_remove("RELANCE_CONFIG")
            .env_remove("RELANCE_DB")
            .env("NO_COLOR", "1")
            .output()
            .map_err(|e| format!("running relance: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "relance {}: {}\n{}",
                args.join(" "),
                out.status,
                text(&out.stderr)
            ));
        }
        Ok(text(&out.stdout))
    };
    let mut checked = 0;
    for (n, line) in script.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("script line {}", n + 1);
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["import", date, rest @ ..] => {
                let mut args = vec!["import", "--date", date];
                args.extend_from_slice(rest);
                relance(&args).map_err(|e| format!("{at}: {e}"))?;
            }
            ["relance", rest @ ..] => {
                relance(rest).map_err(|e| format!("{at}: {e}"))?;
            }
            ["report", ..] => {
                let (command, expected) = line
                    .split_once("=>")
                    .ok_or_else(|| format!("{at}: `report ... => FILE.json`"))?;
                let mut args: Vec<&str> = command.split_whitespace().collect();
                args.extend(["--format", "json"]);
                let got = relance(&args).map_err(|e| format!("{at}: {e}"))?;
                let got: Value = serde_json::from_str(&got)
                    .map_err(|e| format!("{at}: the report is not JSON ({e}):\n{got}"))?;
                let file = case.join(expected.trim());
                let want: Value = serde_json::from_str(
                    &std::fs::read_to_string(&file)
                        .map_err(|e| format!("{at}: {}: {e}", file.display()))?,
                )
                .map_err(|e| format!("{at}: {}: {e}", file.display()))?;
                if !same(&got, &want) {
                    return Err(format!(
                        "{at}: {} differs\n--- expected\n{}\n--- got\n{}",
                        expected.trim(),
                        serde_json::to_string_pretty(&want).unwrap_or_default(),
                        serde_json::to_string_pretty(&got).unwrap_or_default()
                    ));
                }
                checked += 1;
            }
            _ => return Err(format!("{at}: unknown command {line:?}")),
        }
    }
    Ok(checked)
}

/// The cases, in name order (`CASE=substring` runs those matching).
fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root())
        .expect("tests/reports exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("script").is_file())
        .collect();
    cases.sort();
    let only = std::env::var("CASE").ok();
    cases.retain(|c| {
        only.as_deref().is_none_or(|o| {
            c.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(o))
        })
    });
    cases
}

fn check_all(make_db: impl Fn(&Path) -> String) {
    let mut failures = Vec::new();
    let mut reports = 0;
    let cases = cases();
    assert!(!cases.is_empty(), "no case ran");
    for case in &cases {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let db = make_db(case);
        match run_case(case, &db) {
            Ok(n) => reports += n,
            Err(e) => failures.push(format!("== {name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    assert!(reports > 0, "no report was checked");
}

#[test]
fn report_fixtures_give_their_hand_computed_results_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temp dir");
    check_all(|case| {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or("case");
        format!(
            "sqlite://{}",
            dir.path().join(format!("{name}.db")).display()
        )
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn report_fixtures_give_their_hand_computed_results_on_postgres() {
    let mut databases = Vec::new();
    for case in cases() {
        let Some(db) = Database::create("relance_reports").await else {
            return;
        };
        databases.push((case, db));
    }
    let urls: Vec<(PathBuf, String)> = databases
        .iter()
        .map(|(c, db)| (c.clone(), db.url.clone()))
        .collect();
    tokio::task::spawn_blocking(move || {
        check_all(|case| {
            urls.iter()
                .find(|(c, _)| c == case)
                .map(|(_, u)| u.clone())
                .unwrap_or_default()
        })
    })
    .await
    .expect("the cases");
    for (_, db) in databases {
        db.drop_database().await;
    }
}

#[test]
fn report_prints_a_table_csv_or_an_svg_chart_and_refuses_an_unknown_report() {
    let case = root().join("001_aging_buckets_and_share_overdue");
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = format!("sqlite://{}", dir.path().join("r.db").display());
    let relance = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_relance"))
            .current_dir(&case)
            .arg("--config")
            .arg(root().join("config"))
            .args(["--db", &db])
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .expect("relance runs")
    };
    let out = relance(&[
        "import",
        "--date",
        "2026-11-30",
        "customers.csv",
        "colleagues.csv",
        "assignments.csv",
        "items.csv",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = relance(&["report", "aging", "--date", "2026-11-30"]);
    assert!(table.status.success(), "{}", text(&table.stderr));
    let table = text(&table.stdout);
    assert!(table.starts_with("Aging on 2026-11-30 (EUR)"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l == "total        7  1750.00  100.00"),
        "aligned totals:\n{table}"
    );
    assert!(
        table.contains("overdue: 1650.00 (94.29% of the open amount)"),
        "{table}"
    );
    assert!(table.contains("left out (no rate): GBP"), "{table}");
    let csv = relance(&["report", "aging", "--date", "2026-11-30", "--format", "csv"]);
    let csv = text(&csv.stdout);
    assert!(csv.starts_with("bucket,items,amount,share\r\n"), "{csv}");
    assert!(csv.contains("31-60,2,700.00,40.00\r\n"), "{csv}");
    let svg_file = dir.path().join("aging.svg");
    let out = relance(&[
        "report",
        "aging",
        "--date",
        "2026-11-30",
        "--format",
        "svg",
        "--lang",
        "fr",
        "--out",
        svg_file.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let svg = std::fs::read_to_string(&svg_file).expect("the chart");
    assert!(
        svg.contains("<svg") && svg.contains("Balance âgée au 2026-11-30"),
        "{svg}"
    );
    assert!(svg.contains("non échu") && svg.contains("EUR"), "{svg}");
    // A customer that is no collection account is refused, not an empty report.
    let nobody = relance(&["report", "aging", "--customer", "NOBODY"]);
    assert_eq!(nobody.status.code(), Some(2), "{}", text(&nobody.stderr));
    assert!(
        text(&nobody.stderr).contains("no collection account NOBODY"),
        "{}",
        text(&nobody.stderr)
    );
    let unknown = relance(&["report", "profit"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr)
            .contains("aging, dso, qualified, forecast, receipts, disputes, profile"),
        "{}",
        text(&unknown.stderr)
    );
}
