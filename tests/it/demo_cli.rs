//! `relance demo` as a newcomer runs it: from nothing, twice, from any
//! directory.

use std::process::Command;

use crate::support::text;

fn demo(cwd: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_relance"))
        .current_dir(cwd)
        .env_remove("RELANCE_CONFIG")
        .env_remove("RELANCE_DB")
        .arg("demo")
        .args(args)
        .output()
        .expect("relance runs")
}

/// Customer emails in the demo's outbox (internal ones, to the team, are
/// `internal-*.eml`).
fn emails(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("relance-demo/outbox"))
        .expect("an outbox")
        .filter(|e| {
            e.as_ref().is_ok_and(|e| {
                e.path().extension().is_some_and(|x| x == "eml")
                    && !e.file_name().to_string_lossy().starts_with("internal-")
            })
        })
        .count()
}

#[test]
fn the_demo_runs_from_nothing_and_again_in_the_same_directory() {
    let cwd = tempfile::tempdir().expect("a temp dir");
    let out = demo(cwd.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("relance demo in relance-demo: 300 customers"),
        "{stdout}"
    );
    assert!(stdout.contains("relance-demo/outbox"), "{stdout}");
    assert!(cwd.path().join("relance-demo/config/main.relance").exists());
    let first = emails(cwd.path());
    assert!(first > 0, "{stdout}");

    let again = demo(cwd.path(), &[]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("starting over"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(emails(cwd.path()), first);
    assert_eq!(text(&again.stdout), stdout.replace('\r', ""));
}

#[test]
fn the_demo_refuses_a_directory_it_did_not_make() {
    let cwd = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir(cwd.path().join("mine")).expect("mkdir");
    std::fs::write(cwd.path().join("mine/notes.txt"), "keep me").expect("a file");
    let out = demo(cwd.path(), &["--dir", "mine"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("not a relance demo"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(cwd.path().join("mine/notes.txt")).expect("kept"),
        "keep me"
    );
}

#[test]
fn the_demo_says_what_it_sent_to_whom_and_what_waits_for_whom() {
    let cwd = tempfile::tempdir().expect("a temp dir");
    let out = demo(cwd.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);

    // A normal day: mostly reminders, a few calls, a few reviews.
    let emails_line = stdout
        .lines()
        .find(|l| l.contains(" emails to "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let sent: usize = emails_line
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert_eq!(sent, emails(cwd.path()), "{emails_line}");
    assert!(emails_line.contains("reminder_1"), "{emails_line}");
    assert!(
        stdout.contains("@c0") && stdout.contains(".example"),
        "recipients are shown: {stdout}"
    );
    let waiting = stdout
        .lines()
        .find(|l| l.contains("actions of review steps") || l.contains("action of review steps"))
        .unwrap_or_else(|| panic!("no review: {stdout}"));
    let reviews: usize = waiting
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(
        (1..sent / 10).contains(&reviews),
        "{reviews} reviews, {sent} emails"
    );
    let approve = stdout
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("approve: "))
        .unwrap_or_else(|| panic!("no approve command: {stdout}"));
    assert!(
        approve.starts_with("relance approve ")
            && approve
                .ends_with(" --config relance-demo/config --db sqlite://relance-demo/relance.db"),
        "{approve}"
    );

    // The printed command approves them, as shown.
    let args: Vec<&str> = approve
        .strip_prefix("relance ")
        .expect("a relance command")
        .split(' ')
        .collect();
    let approved = Command::new(env!("CARGO_BIN_EXE_relance"))
        .current_dir(cwd.path())
        .env_remove("RELANCE_CONFIG")
        .env_remove("RELANCE_DB")
        .args(&args)
        .output()
        .expect("relance runs");
    assert!(approved.status.success(), "{}", text(&approved.stderr));
    assert_eq!(
        text(&approved.stdout)
            .matches("approved, now queued")
            .count(),
        reviews
    );
    assert!(
        stdout.contains("files:\n  configuration  relance-demo/config"),
        "{stdout}"
    );
}

#[test]
fn the_demo_in_json_is_the_same_story_as_a_document() {
    let cwd = tempfile::tempdir().expect("a temp dir");
    let out = demo(cwd.path(), &["--json", "--customers", "120"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["customers"], 120);
    assert_eq!(
        doc["emails"]["count"].as_u64(),
        Some(emails(cwd.path()) as u64)
    );
    let example = &doc["emails"]["examples"][0];
    assert!(
        example["to"][0].as_str().is_some_and(|t| t.contains('@')),
        "{example}"
    );
    let file = example["file"].as_str().expect("the message file");
    assert!(cwd.path().join(file).exists(), "{file}");
    for key in [
        "review",
        "tasks",
        "alerts",
        "escalations",
        "notifications",
        "files",
        "actions",
        "letters",
        "next",
    ] {
        assert!(doc.get(key).is_some(), "{key} in {doc}");
    }
    let ids = doc["review"]["ids"].as_array().expect("ids");
    if let Some(command) = doc["review"]["command"].as_str() {
        for id in ids {
            assert!(command.contains(&id.to_string()), "{command}");
        }
    } else {
        assert!(ids.is_empty());
    }
    assert_eq!(doc["files"]["store"], "sqlite://relance-demo/relance.db");
}
