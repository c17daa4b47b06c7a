//! `relance gen`, `relance import` and `relance status` as a user runs them,
//! on a SQLite file.

use crate::support::text;
use std::path::Path;
use std::process::{Command, Output};

fn relance(db: &Path, args: &[&str]) -> Output {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    // Before the subcommand: accepted by every command, used by those that
    // read a configuration or a store (`gen` uses neither).
    Command::new(env!("CARGO_BIN_EXE_relance"))
        .arg("--config")
        .arg(&config)
        .arg("--db")
        .arg(format!("sqlite://{}", db.display()))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the relance binary runs")
}

#[test]
fn generated_data_imports_once_then_is_unchanged() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("relance.db");
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("utf-8");
    let out = relance(
        &db,
        &[
            "gen",
            "--customers",
            "200",
            "--items",
            "3000",
            "--seed",
            "5",
            "--out",
            data_arg,
            "--date",
            "2026-11-20",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("200 customers"),
        "{}",
        text(&out.stdout)
    );

    let out = relance(&db, &["import", data_arg, "--date", "2026-11-20"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let first = text(&out.stdout);
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(
        lines.len(),
        5,
        "one line per file in dependency order: {first}"
    );
    assert!(lines[0].starts_with("colleagues.csv:"), "{first}");
    assert_eq!(
        lines[4],
        "items.csv: 3000 rows: 3000 inserted, 0 updated, 0 unchanged"
    );

    let out = relance(&db, &["import", data_arg, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    for file in doc["files"].as_array().expect("files") {
        assert_eq!(file["inserted"], 0, "{file}");
        assert_eq!(file["updated"], 0, "{file}");
        assert_eq!(file["unchanged"], file["rows"], "{file}");
    }
}

#[test]
fn bad_rows_exit_1_with_file_and_line_and_import_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("relance.db");
    let customers = dir.path().join("customers.csv");
    std::fs::write(
        &customers,
        "code,name,timezone\nC1,One,Europe/Paris\nC2,Two,Europe/Pari\n",
    )
    .expect("write");
    let out = relance(&db, &["import", customers.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "customers.csv:3: timezone \"Europe/Pari\" is unknown (did you mean \"Europe/Paris\"?)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 problem found; nothing was imported"),
        "{stderr}"
    );
    let out = relance(
        &db,
        &["import", customers.to_str().expect("utf-8"), "--dry-run"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a dry run validates the same way"
    );
}

#[test]
fn missing_files_and_unknown_kinds_are_usage_errors() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("relance.db");
    let out = relance(&db, &["import", "/nonexistent/items.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let odd = dir.path().join("export.csv");
    std::fs::write(&odd, "a,b\n1,2\n").expect("write");
    let out = relance(&db, &["import", odd.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("give --kind"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn statuses_are_set_and_cleared_from_the_command_line() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("relance.db");
    let customers = dir.path().join("customers.csv");
    let items = dir.path().join("items.csv");
    std::fs::write(&customers, "code,name\nC1,One\n").expect("write");
    std::fs::write(
        &items,
        "customer,reference,type,due_date,amount\nC1,INV-1,invoice,2026-10-01,100\n",
    )
    .expect("write");
    let out = relance(
        &db,
        &[
            "import",
            customers.to_str().expect("utf-8"),
            items.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let out = relance(&db, &["status", "set", "C1/INV-1", "promise"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("needs a promise date (--date YYYY-MM-DD)"),
        "{}",
        text(&out.stderr)
    );
    let out = relance(
        &db,
        &[
            "status",
            "set",
            "C1/INV-1",
            "promise",
            "--date",
            "2026-12-15",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "C1/INV-1: promise (no status)");
    let out = relance(
        &db,
        &[
            "status",
            "set",
            "C1/INV-1",
            "dispute",
            "--comment",
            "wrong price",
        ],
    );
    assert_eq!(text(&out.stdout).trim(), "C1/INV-1: dispute (was promise)");
    let out = relance(&db, &["status", "clear", "C1/INV-1"]);
    assert_eq!(
        text(&out.stdout).trim(),
        "C1/INV-1: status cleared (was dispute)"
    );
    let out = relance(&db, &["status", "set", "C1/INV-9", "dispute"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no item C1/INV-9 in the store"),
        "{}",
        text(&out.stderr)
    );
    let out = relance(&db, &["status", "set", "INV-1", "dispute"]);
    assert_eq!(out.status.code(), Some(2), "not CUSTOMER/REFERENCE");
}
