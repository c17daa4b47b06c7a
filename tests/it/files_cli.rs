//! `relance attach` and `relance files` as a user runs them: attaching one
//! by one and a directory at once, refusals with clear errors, listing,
//! hiding, and purging after retention with a dry run first.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::text;

fn relance(db: &Path, args: &[&str]) -> Output {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    Command::new(env!("CARGO_BIN_EXE_relance"))
        .arg("--config")
        .arg(&config)
        .arg("--db")
        .arg(format!("sqlite://{}", db.display()))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RELANCE_FILES")
        .output()
        .expect("the relance binary runs")
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn files_are_attached_listed_hidden_and_purged_after_a_dry_run() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("relance.db");
    let customers = dir.path().join("customers.csv");
    let items = dir.path().join("items.csv");
    std::fs::write(&customers, "code,name\nC1,One\n").expect("write");
    std::fs::write(
        &items,
        "customer,reference,type,due_date,amount,remaining\n\
         C1,INV-1,invoice,2026-01-01,100,0\n\
         C1,INV-2,invoice,2026-10-01,100,100\n",
    )
    .expect("write");
    ok(&relance(
        &db,
        &[
            "import",
            customers.to_str().expect("utf-8"),
            items.to_str().expect("utf-8"),
        ],
    ));
    let pdf = dir.path().join("inv.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n%%EOF\n").expect("write");
    let fake = dir.path().join("fake.pdf");
    std::fs::write(&fake, b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00").expect("write");

    // One good file, one executable named .pdf: the good one is attached,
    // the other refused with its reason, exit 1.
    let out = relance(
        &db,
        &[
            "attach",
            "C1/INV-1",
            pdf.to_str().expect("utf-8"),
            fake.to_str().expect("utf-8"),
            "--share",
            "customer",
            "--description",
            "signed copy",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("attached #1 inv.pdf to C1/INV-1 (customer"));
    let err = text(&out.stderr);
    assert!(err.contains("`fake.pdf` is not a pdf file"), "{err}");
    // Content-addressed beside the SQLite file.
    assert!(dir.path().join("relance-files").join("sha256").is_dir());

    // A directory: DIR/<customer>/<reference>.<ext>.
    let bulk = dir.path().join("bulk");
    std::fs::create_dir_all(bulk.join("C1")).expect("mkdir");
    std::fs::write(bulk.join("C1").join("INV-2.csv"), "a,b\n1,2\n").expect("write");
    let out = ok(&relance(
        &db,
        &["attach", "--dir", bulk.to_str().expect("utf-8")],
    ));
    assert!(
        out.contains("attached #2 INV-2.csv to C1/INV-2 (internal"),
        "{out}"
    );
    let out = relance(&db, &["attach", "C1/NOPE", pdf.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no item C1/NOPE in the store"));

    let listed = ok(&relance(&db, &["files"]));
    assert!(listed.contains("inv.pdf — signed copy"), "{listed}");
    assert!(listed.contains("INV-2.csv"), "{listed}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&relance(&db, &["files", "C1/INV-2", "--json"]))).expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(1));
    assert_eq!(json[0]["content_type"], "text/csv; charset=utf-8");

    assert!(ok(&relance(&db, &["files", "hide", "2"])).contains("hidden #2 INV-2.csv"));
    assert!(!ok(&relance(&db, &["files"])).contains("INV-2.csv"));
    assert!(ok(&relance(&db, &["files", "--all"])).contains("INV-2.csv (hidden)"));
    let out = relance(&db, &["files", "hide", "99"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no file #99"));

    // INV-1 was cleared today (remaining 0 at import): purged 180 days on.
    let later = (chrono::Utc::now().date_naive() + chrono::Duration::days(200)).to_string();
    let dry = ok(&relance(
        &db,
        &["files", "purge", "--dry-run", "--date", &later],
    ));
    assert!(dry.contains("would delete #1 inv.pdf of C1/INV-1"), "{dry}");
    // The shared options also go after the subcommand, as everywhere.
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let after = Command::new(env!("CARGO_BIN_EXE_relance"))
        .args(["files", "purge", "--dry-run", "--date", &later, "--config"])
        .arg(&config)
        .arg("--db")
        .arg(format!("sqlite://{}", db.display()))
        .env_remove("RELANCE_FILES")
        .output()
        .expect("the relance binary runs");
    assert_eq!(ok(&after), dry);
    assert!(ok(&relance(&db, &["files"])).contains("inv.pdf"));
    let done = ok(&relance(&db, &["files", "purge", "--date", &later]));
    assert!(done.contains("deleted 1 file(s)"), "{done}");
    assert!(!ok(&relance(&db, &["files", "--all"])).contains("inv.pdf"));
}
