//! `plan`, `run`, `simulate` and `diff` as a user runs them: the real binary,
//! a real SQLite file, real directories and a real git repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{copy_dir, text};
use serde_json::Value;

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    /// The example configuration and one customer with one invoice due
    /// Monday 2026-03-02, with a billing contact and a collector.
    fn new() -> Case {
        let dir = tempfile::tempdir().expect("a temp dir");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
            &dir.path().join("config"),
        );
        let files: &[(&str, &str)] = &[
            ("customers.csv", "code,name\nC1,Client One\n"),
            ("contacts.csv", "customer,email\nC1,ap@client.example\n"),
            ("colleagues.csv", "email,name\njulie@acme.example,Julie\n"),
            (
                "assignments.csv",
                "customer,colleague\nC1,julie@acme.example\n",
            ),
            (
                "items.csv",
                "customer,reference,type,due_date,amount\nC1,INV-1,invoice,2026-03-02,1200\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("a data file");
        }
        let case = Case { dir };
        let out = case.relance(&["import", "--date", "2026-02-20", "."]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        case
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn relance(&self, args: &[&str]) -> Output {
        self.relance_with("config", args)
    }

    fn relance_with(&self, config: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_relance"))
            .current_dir(self.path())
            .args(["--config", config, "--db", "sqlite://relance.db"])
            .args(args)
            .env_remove("RELANCE_CONFIG")
            .env_remove("RELANCE_DB")
            .env("NO_COLOR", "1")
            .output()
            .expect("the relance binary runs")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.relance(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON on stdout")
    }
}

fn steps_of(timeline: &Value) -> Vec<(String, String, bool)> {
    timeline["accounts"][0]["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event"] == "action")
        .map(|e| {
            (
                e["date"].as_str().unwrap_or_default().to_string(),
                e["step"].as_str().unwrap_or_default().to_string(),
                e["late"].as_bool().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn simulate_gives_the_timeline_and_writes_nothing() {
    let case = Case::new();
    let timeline = case.json(&[
        "simulate",
        "--from",
        "2026-02-20",
        "--to",
        "2026-05-15",
        "--json",
    ]);
    let expected: Vec<(String, String, bool)> = [
        ("2026-02-25", "courtesy"),
        ("2026-03-09", "reminder_1"),
        ("2026-03-23", "reminder_2"),
        ("2026-04-01", "call"),
        ("2026-04-16", "notice"),
        // 2026-05-01 is a holiday: the next business day.
        ("2026-05-04", "handover"),
    ]
    .iter()
    .map(|(d, s)| ((*d).to_string(), (*s).to_string(), false))
    .collect();
    assert_eq!(steps_of(&timeline)[..expected.len()], expected[..]);
    // After the handover, litigation's final_notice (due + 60d, already
    // passed) comes as a catch-up once its 10-day min_gap has run.
    assert_eq!(
        steps_of(&timeline).get(expected.len()),
        Some(&("2026-05-14".to_string(), "final_notice".to_string(), true))
    );

    // Nothing was recorded: the real plan of a day in the middle still
    // starts from the beginning.
    let plan = case.json(&["plan", "--date", "2026-03-09", "--json"]);
    assert_eq!(plan["actions"][0]["step"], "reminder_1");
    assert_eq!(plan["actions"][0]["late"], false);
    let human = case.relance(&["simulate", "--from", "2026-03-01", "--to", "2026-03-10"]);
    assert!(
        text(&human.stdout).contains("2026-03-09  standard/reminder_1 [email] leader INV-1"),
        "{}",
        text(&human.stdout)
    );
}

#[test]
fn run_with_the_file_mailer_writes_each_message_once() {
    let case = Case::new();
    let run = case.json(&["run", "--date", "2026-03-09", "--mailer", "file", "--json"]);
    assert_eq!(run["actions"][0]["state"], "sent");
    assert_eq!(
        run["actions"][0]["to"],
        serde_json::json!(["ap@client.example"])
    );
    assert_eq!(
        run["actions"][0]["cc"],
        serde_json::json!(["julie@acme.example"])
    );
    let outbox: Vec<PathBuf> = std::fs::read_dir(case.path().join("outbox"))
        .expect("an outbox")
        .map(|e| e.expect("an entry").path())
        .collect();
    assert_eq!(outbox.len(), 1);
    let message = std::fs::read_to_string(&outbox[0]).expect("a message");
    assert!(message.contains("To: ap@client.example"), "{message}");
    assert!(message.contains("X-Relance-Action: 1"), "{message}");

    let again = case.json(&["run", "--date", "2026-03-09", "--mailer", "file", "--json"]);
    assert_eq!(again["actions"], serde_json::json!([]));
    assert_eq!(
        std::fs::read_dir(case.path().join("outbox"))
            .expect("an outbox")
            .count(),
        1
    );
}

#[test]
fn plan_explains_an_account_and_refuses_an_unknown_one() {
    let case = Case::new();
    let out = case.relance(&[
        "plan",
        "--date",
        "2026-04-20",
        "--account",
        "C1",
        "--explain",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("leader INV-1 due 2026-03-02"), "{stdout}");
    assert!(
        stdout.contains("notice due 2026-04-16: `account.overdue_amount >= 500` holds"),
        "{stdout}"
    );
    assert!(
        stdout.contains("late: due 2026-04-16, caught up on 2026-04-20"),
        "{stdout}"
    );

    let out = case.relance(&["plan", "--date", "2026-04-20", "--account", "NOPE"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no collection account NOPE"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn diff_lists_actions_that_change_against_a_directory_and_a_git_revision() {
    let case = Case::new();
    copy_dir(&case.path().join("config"), &case.path().join("before"));
    let standard = case.path().join("config/scenarios/standard.relance");
    let edited = std::fs::read_to_string(&standard)
        .expect("readable")
        .replace("at due + 7d ", "at due + 10d");
    std::fs::write(&standard, edited).expect("written");

    // On 2026-03-09 the old reminder_1 is due; with +10d it waits until the
    // 12th, and the courtesy step reached instead is guarded against items
    // already overdue: the action goes.
    let diff = case.json(&[
        "diff",
        "--against",
        "before",
        "--date",
        "2026-03-09",
        "--json",
    ]);
    assert_eq!(diff["removed"][0]["account"], "C1");
    assert_eq!(diff["removed"][0]["step"], "reminder_1");
    assert_eq!(diff["changed"], serde_json::json!([]));
    assert_eq!(diff["added"], serde_json::json!([]));

    // The same against the committed configuration.
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(case.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    };
    std::fs::write(case.path().join(".gitignore"), "relance.db*\nbefore/\n").expect("written");
    std::fs::copy(
        case.path().join("before/scenarios/standard.relance"),
        &standard,
    )
    .expect("restored");
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "scenarios"]);
    let edited = std::fs::read_to_string(&standard)
        .expect("readable")
        .replace("at due + 7d ", "at due + 10d");
    std::fs::write(&standard, edited).expect("written");
    let out = case.relance(&["diff", "--against", "HEAD", "--date", "2026-03-09"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("0 added, 1 removed, 0 changed"), "{stdout}");
    assert!(
        stdout.contains("C1         standard/reminder_1"),
        "{stdout}"
    );

    let out = case.relance(&["diff", "--against", "no-such-rev", "--date", "2026-03-09"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[tokio::test]
async fn a_template_that_fails_to_render_fails_its_action_and_raises_an_alert() {
    use sqlx::Connection as _;
    let case = Case::new();
    // A filter given a value of the wrong type passes `relance check` (which
    // knows the variables, not their values) but fails when rendered.
    let template = case.path().join("config/templates/en/reminder_1.html");
    let body = std::fs::read_to_string(&template).expect("the template");
    std::fs::write(
        &template,
        body.replace(
            "Dear #contact_name",
            "{{ customer.name | round }} Dear #contact_name",
        ),
    )
    .expect("the template");
    let out = case.relance(&["run", "--date", "2026-03-09", "--mailer", "file"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // No email to the customer; the collector is told of delivery_failed
    // (high) at once, in an internal email.
    let written: Vec<String> = std::fs::read_dir(case.path().join("outbox"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        written
            .iter()
            .all(|f| f.starts_with("internal-") && f.ends_with("-immediate.eml")),
        "{written:?}"
    );

    let url = format!("sqlite://{}", case.path().join("relance.db").display());
    let mut db = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("the store");
    let state: String = sqlx::query_scalar("SELECT state FROM actions WHERE step = 'reminder_1'")
        .fetch_one(&mut db)
        .await
        .expect("the action");
    assert_eq!(state, "failed");
    let alerts: Vec<(String, String, String)> =
        sqlx::query_as("SELECT alert, account, detail FROM alerts WHERE resolved_on IS NULL")
            .fetch_all(&mut db)
            .await
            .expect("alerts");
    let failed = alerts
        .iter()
        .find(|(alert, account, _)| alert == "delivery_failed" && account == "C1")
        .unwrap_or_else(|| panic!("no delivery_failed alert: {alerts:?}"));
    assert!(failed.2.contains("reminder_1"), "{failed:?}");
}

#[test]
fn plan_and_run_name_the_customer_show_amounts_and_say_what_late_means() {
    let case = Case::new();
    // reminder_1 fell on 2026-03-09: on the 12th it is caught up, late.
    let out = case.relance(&["plan", "--date", "2026-03-12"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("C1 Client One (overdue 1,200.00 of 1,200.00 EUR open)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("standard/reminder_1 [email] for INV-1, step date 2026-03-09 (late)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("late: the step's own date") && stdout.contains("not say how overdue"),
        "late is explained: {stdout}"
    );

    let out = case.relance(&["run", "--date", "2026-03-12", "--mailer", "none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("2026-03-12: 1 action recorded"), "{stdout}");
    assert!(
        stdout.contains("for INV-1, step date 2026-03-09 (late), to ap@client.example, cc julie@acme.example — queued (action 1)"),
        "{stdout}"
    );
}

#[test]
fn run_reports_the_alerts_raised_and_resolved_today_not_every_open_one() {
    let case = Case::new();
    let set = case.json(&[
        "status",
        "set",
        "C1/INV-1",
        "promise",
        "--date",
        "2026-03-05",
        "--json",
    ]);
    assert_eq!(set["item"], "C1/INV-1");
    assert_eq!(set["status"], "promise");
    assert_eq!(set["promise_date"], "2026-03-05");
    assert_eq!(set["previous"]["status"], Value::Null);

    // The promise was not kept: raised on the first run.
    let out = case.relance(&["run", "--date", "2026-03-12", "--mailer", "none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "alerts raised today (1):\n  broken_promise \"Promise of payment not kept\" (high): C1 Client One, item INV-1"
        ),
        "{stdout}"
    );

    // The next day it is still open, but nothing changed.
    let out = case.relance(&["run", "--date", "2026-03-13", "--mailer", "none"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("no alert raised or resolved and no escalation today"),
        "{stdout}"
    );
    assert!(!stdout.contains("broken_promise"), "{stdout}");
    assert!(
        stdout.contains("1 alert raised earlier still open: `relance plan` lists them"),
        "{stdout}"
    );

    let cleared = case.json(&["status", "clear", "C1/INV-1", "--json"]);
    assert_eq!(cleared["status"], Value::Null);
    assert_eq!(cleared["previous"]["status"], "promise");
    assert_eq!(cleared["previous"]["promise_date"], "2026-03-05");
    let run = case.json(&["run", "--date", "2026-03-14", "--mailer", "none", "--json"]);
    assert_eq!(
        run["changes"]["alerts_resolved"],
        serde_json::json!([{"alert": "broken_promise", "account": "C1", "item": "INV-1"}])
    );
    assert_eq!(run["changes"]["alerts_raised"], serde_json::json!([]));
    assert_eq!(run["changes"]["escalations_fired"], serde_json::json!([]));
    assert_eq!(run["waiting_review"], serde_json::json!([]));
    // What the colleagues are told: the resolved alert, for the digest.
    assert!(
        run["notifications"]["notices"].is_u64() && run["notifications"]["digests"].is_u64(),
        "{run}"
    );
    // The keys of the plan document are all still there.
    for key in ["date", "actions", "alerts", "escalations"] {
        assert!(run.get(key).is_some(), "{key} in {run}");
    }
}

#[test]
fn run_prints_the_ids_waiting_for_review_and_the_command_that_approves_them() {
    let case = Case::new();
    std::fs::write(
        case.path().join("customers.csv"),
        "code,name,segment\nC1,Client One,key\n",
    )
    .expect("a data file");
    let out = case.relance(&["import", "--date", "2026-02-20", "customers.csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Key accounts: a call at due + 3d, in review.
    let out = case.relance(&["run", "--date", "2026-03-05", "--mailer", "none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "key_accounts/call [task] for INV-1, step date 2026-03-05 — waiting_review (action 1)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 action waiting for review; to send it:\n  relance approve 1\n"),
        "{stdout}"
    );
    // The printed command works as shown.
    let approved = case.relance(&["approve", "1"]);
    assert!(approved.status.success(), "{}", text(&approved.stderr));
    assert!(
        text(&approved.stdout).contains("action 1 (C1 call): approved, now queued"),
        "{}",
        text(&approved.stdout)
    );
}

#[tokio::test]
async fn run_reports_the_actions_a_killed_run_left_sending_with_their_lease_end() {
    use sqlx::Connection as _;
    let case = Case::new();
    // Record only; then make the action look claimed by a run killed a
    // minute ago between sending and recording.
    let out = case.relance(&["run", "--date", "2026-03-09", "--mailer", "none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let claimed = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    let claimed_at = claimed.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let url = format!("sqlite://{}", case.path().join("relance.db").display());
    let mut db = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("the store");
    let changed = sqlx::query(
        "UPDATE actions SET state = 'sending', claimed_by = 'run:killed:4242', claimed_at = ? \
         WHERE step = 'reminder_1'",
    )
    .bind(&claimed_at)
    .execute(&mut db)
    .await
    .expect("the claim")
    .rows_affected();
    assert_eq!(changed, 1);
    db.close().await.expect("closed");

    let lease_ends = (claimed + chrono::TimeDelta::minutes(10))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let out = case.relance(&["run", "--date", "2026-03-09", "--mailer", "file"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("1 action still `sending`")
            && stderr.contains("claimed by run:killed:4242")
            && stderr.contains(&format!("lease ends {lease_ends}")),
        "{stderr}"
    );
    let run = case.json(&["run", "--date", "2026-03-09", "--mailer", "file", "--json"]);
    let sending = run["still_sending"].as_array().expect("still_sending");
    assert_eq!(sending.len(), 1, "{run}");
    assert_eq!(sending[0]["claimed_by"], "run:killed:4242");
    assert_eq!(sending[0]["claimed_at"], claimed_at.as_str());
    assert_eq!(sending[0]["lease_ends"], lease_ends.as_str());
    assert_eq!(sending[0]["account"], "C1");
    // Nothing was written for it: the lease still holds.
    // No email to the customer; the collector is told of delivery_failed
    // (high) at once, in an internal email.
    let written: Vec<String> = std::fs::read_dir(case.path().join("outbox"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        written
            .iter()
            .all(|f| f.starts_with("internal-") && f.ends_with("-immediate.eml")),
        "{written:?}"
    );
    // With a lease shorter than the claim's age, it is sent and no longer listed.
    let run = case.json(&[
        "run",
        "--date",
        "2026-03-09",
        "--mailer",
        "file",
        "--lease",
        "30s",
        "--json",
    ]);
    assert_eq!(run["still_sending"], serde_json::json!([]), "{run}");
    assert_eq!(
        std::fs::read_dir(case.path().join("outbox"))
            .expect("outbox")
            .count(),
        1
    );
}

#[test]
fn a_1000_letter_name_gives_header_lines_folded_as_rfc_5322_says() {
    let case = Case::new();
    let name = "N".repeat(1000);
    std::fs::write(
        case.path().join("customers.csv"),
        format!("code,name\nC1,{name}\n"),
    )
    .expect("customers.csv");
    std::fs::write(
        case.path().join("colleagues.csv"),
        format!("email,name\njulie@acme.example,{}\n", "J".repeat(1000)),
    )
    .expect("colleagues.csv");
    let out = case.relance(&["import", "--date", "2026-02-20", "."]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = case.relance(&["run", "--date", "2026-03-09", "--mailer", "file"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let outbox: Vec<PathBuf> = std::fs::read_dir(case.path().join("outbox"))
        .expect("an outbox")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    assert_eq!(outbox.len(), 1);
    let message = std::fs::read_to_string(&outbox[0]).expect("a message");
    let (head, _) = message
        .split_once("\r\n\r\n")
        .expect("headers, then a body");
    for line in head.split("\r\n") {
        assert!(
            line.len() <= 78,
            "a header line of {} octets: {line}",
            line.len()
        );
    }
    for line in message.split("\r\n") {
        assert!(line.len() <= 998, "a line of {} octets", line.len());
    }
    // The subject still carries the name: unfolded, its encoded-words
    // decode to it (checked in the worker's unit tests); here it is split.
    assert!(head.contains("Subject: "), "{head}");
    assert!(
        !head.contains(&name[..100]),
        "the name is encoded, not one long word"
    );
}
