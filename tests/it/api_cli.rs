//! `relance token`, `relance approve` and `relance serve` as a user runs
//! them: the real binary on a real SQLite file.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::{copy_dir, text};
use relance_admin_api::auth::{Role, Tokens};
use serde_json::Value;

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    /// The example configuration; C1 is a key account (review mode) with
    /// one invoice 20 days overdue on 2026-11-20, C3 a standard one.
    fn new() -> Case {
        let dir = tempfile::tempdir().expect("a temp dir");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
            &dir.path().join("config"),
        );
        let files: &[(&str, &str)] = &[
            (
                "customers.csv",
                "code,name,segment\nC1,Client One,key\nC3,Client Three,\n",
            ),
            (
                "contacts.csv",
                "customer,email\nC1,ap@one.example\nC3,ap@three.example\n",
            ),
            (
                "colleagues.csv",
                "email,name,role\nsam@acme.example,Sam,sales\njulie@acme.example,Julie,collector\n",
            ),
            (
                "assignments.csv",
                "customer,colleague\nC1,sam@acme.example\nC1,julie@acme.example\nC3,julie@acme.example\n",
            ),
            (
                "items.csv",
                "customer,reference,type,due_date,amount\nC1,INV-1,invoice,2026-10-31,1200\nC3,INV-3,invoice,2026-11-01,50\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("a data file");
        }
        let case = Case { dir };
        let out = case.relance(&["import", "--date", "2026-11-20", "."]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        case
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_relance"));
        c.current_dir(self.dir.path())
            .args(["--config", "config", "--db", "sqlite://relance.db"])
            .env_remove("RELANCE_CONFIG")
            .env_remove("RELANCE_DB")
            .env_remove("RELANCE_TOKENS")
            .env("NO_COLOR", "1");
        c
    }

    fn relance(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .output()
            .expect("the relance binary runs")
    }
}

#[test]
fn token_prints_the_token_alone_first_then_the_entry_that_admits_it() {
    let case = Case::new();
    let out = case.relance(&["token", "ci", "--role", "operator"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let (token, rest) = stdout.split_once('\n').expect("two parts");
    assert!(token.len() >= 32, "{token}");
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{token}"
    );
    assert!(!rest.contains(token), "the token is stored only as a hash");
    let tokens = Tokens::parse(rest).expect("the rest is a token file entry");
    let caller = tokens.verify(token).expect("the entry admits the token");
    assert_eq!(caller.name, "ci");
    assert_eq!(caller.role, Role::Operator);
    let other = case.relance(&["token", "ci", "--role", "operator"]);
    assert_ne!(text(&other.stdout).lines().next(), Some(token));

    let out = case.relance(&["token", "ci", "--role", "viewer", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["name"], "ci");
    assert_eq!(doc["role"], "viewer");
    let token = doc["token"].as_str().expect("the token");
    let entry = doc["entry"].as_str().expect("the entry");
    assert!(!entry.contains(token), "the token is stored only as a hash");
    let caller = Tokens::parse(entry)
        .expect("the entry parses")
        .verify(token)
        .expect("the entry admits the token");
    assert_eq!(caller.role, Role::Viewer);
}

#[test]
fn token_refuses_unknown_roles_and_names_that_break_the_file() {
    let case = Case::new();
    let role = case.relance(&["token", "ci", "--role", "root"]);
    assert_eq!(role.status.code(), Some(2));
    let name = case.relance(&["token", "a\"b", "--role", "viewer"]);
    assert_eq!(name.status.code(), Some(2));
    assert!(text(&name.stderr).contains("token name"));
    assert!(name.stdout.is_empty());
}

#[test]
fn approve_queues_a_waiting_review_action_and_refuses_anything_else() {
    let case = Case::new();
    let out = case.relance(&["run", "--json", "--date", "2026-11-20", "--mailer", "none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let id_of = |account: &str| {
        doc["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .find(|a| a["account"] == account)
            .and_then(|a| a["id"].as_i64())
            .unwrap_or_else(|| panic!("an action for {account}: {doc}"))
    };
    let (review, auto) = (id_of("C1"), id_of("C3"));
    assert_eq!(doc["waiting_review"], serde_json::json!([review]));
    assert_eq!(
        doc["actions"][0]["state"], "waiting_review",
        "C1 is a key account: {doc}"
    );

    // All or nothing: the auto action refuses the call.
    let mixed = case.relance(&["approve", &review.to_string(), &auto.to_string()]);
    assert_eq!(mixed.status.code(), Some(1));
    let message = text(&mixed.stderr);
    assert!(
        message.contains(&format!("action {auto} is queued"))
            && message.contains("nothing was approved"),
        "{message}"
    );

    let ok = case.relance(&["approve", &review.to_string(), "--json"]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let approved: Value = serde_json::from_slice(&ok.stdout).expect("JSON on stdout");
    assert_eq!(approved[0]["id"], review);
    assert_eq!(approved[0]["account"], "C1");
    assert_eq!(approved[0]["state"], "queued");
    let again = case.relance(&["approve", &review.to_string()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("not waiting_review"));
    let unknown = case.relance(&["approve", "999"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no action 999"));
    let usage = case.relance(&["approve", "first"]);
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn approve_all_approves_what_waits_for_review_by_step_and_account() {
    let case = Case::new();
    let out = case.relance(&["run", "--json", "--date", "2026-11-20", "--mailer", "none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let review = doc["waiting_review"][0].as_i64().expect("a review action");

    let usage = case.relance(&["approve", "--step", "call"]);
    assert_eq!(usage.status.code(), Some(2), "--step needs --all");
    let both = case.relance(&["approve", "--all", &review.to_string()]);
    assert_eq!(both.status.code(), Some(2), "ids or --all, not both");
    let other = case.relance(&["approve", "--all", "--account", "C3"]);
    assert!(other.status.success(), "{}", text(&other.stderr));
    assert_eq!(text(&other.stdout), "no action is waiting for review\n");
    let other_step = case.relance(&["approve", "--all", "--step", "no_such_step", "--json"]);
    assert_eq!(text(&other_step.stdout).trim(), "[]");

    let all = case.relance(&["approve", "--all", "--account", "C1", "--json"]);
    assert!(all.status.success(), "{}", text(&all.stderr));
    let approved: Value = serde_json::from_slice(&all.stdout).expect("JSON on stdout");
    assert_eq!(approved.as_array().map(Vec::len), Some(1), "{approved}");
    assert_eq!(approved[0]["id"], review);
    assert_eq!(approved[0]["state"], "queued");
    let nothing_left = case.relance(&["approve", "--all"]);
    assert_eq!(
        text(&nothing_left.stdout),
        "no action is waiting for review\n"
    );
}

#[test]
fn reject_keeps_a_waiting_review_action_from_being_sent() {
    let case = Case::new();
    let out = case.relance(&["run", "--json", "--date", "2026-11-20", "--mailer", "none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let review = doc["waiting_review"][0].as_i64().expect("a review action");

    let no_reason = case.relance(&["reject", &review.to_string()]);
    assert_eq!(no_reason.status.code(), Some(2), "--reason is required");
    let blank = case.relance(&["reject", &review.to_string(), "--reason", " "]);
    assert_eq!(blank.status.code(), Some(1));
    assert!(
        text(&blank.stderr).contains("needs a reason"),
        "{}",
        text(&blank.stderr)
    );
    let ok = case.relance(&[
        "reject",
        &review.to_string(),
        "--reason",
        "the customer paid at the counter",
        "--json",
    ]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let rejected: Value = serde_json::from_slice(&ok.stdout).expect("JSON on stdout");
    assert_eq!(rejected[0]["id"], review);
    assert_eq!(rejected[0]["state"], "rejected");
    let approve = case.relance(&["approve", &review.to_string()]);
    assert_eq!(approve.status.code(), Some(1));
    assert!(
        text(&approve.stderr).contains(&format!("action {review} is rejected")),
        "{}",
        text(&approve.stderr)
    );
    let again = case.relance(&["reject", &review.to_string(), "--reason", "twice"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("nothing was rejected"));
}

#[test]
fn serve_refuses_to_start_without_a_token_file() {
    let case = Case::new();
    let out = case.relance(&["serve", "--bind", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--tokens"));
}

/// Sends one HTTP/1.1 request and returns the whole answer.
fn http(address: &str, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(address).expect("connects");
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

#[test]
fn serve_answers_health_openly_and_actions_to_a_token_only() {
    let case = Case::new();
    let out = case.relance(&["token", "view", "--role", "viewer"]);
    let stdout = text(&out.stdout);
    let (token, entry) = stdout.split_once('\n').expect("two parts");
    std::fs::write(case.dir.path().join("tokens.toml"), entry).expect("written");
    let mut child = case
        .command()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("RELANCE_TOKENS", "tokens.toml")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut address = None;
    for line in BufReader::new(stderr).lines().take(50) {
        let line = line.expect("a line");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            address = Some(rest.trim().to_string());
            break;
        }
    }
    let Some(address) = address else {
        let _ = child.kill();
        panic!("serve did not say where it listens");
    };
    let health = http(
        &address,
        "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let refused = http(
        &address,
        "GET /actions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let admitted = http(
        &address,
        &format!(
            "GET /actions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        ),
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(refused.contains("\"unauthorized\""), "{refused}");
    assert!(admitted.starts_with("HTTP/1.1 200"), "{admitted}");
    assert!(admitted.contains("\"actions\":[]"), "{admitted}");
}

#[test]
fn a_collector_lists_her_tasks_and_completes_a_call_with_a_promise() {
    let case = Case::new();
    // C3's invoice is due 2026-11-01: the standard call, 30 days later,
    // goes to its collector, Julie.
    let out = case.relance(&["run", "--json", "--date", "2026-12-01", "--mailer", "none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let opened = doc["changes"]["tasks_opened"]
        .as_array()
        .expect("ids")
        .clone();
    assert_eq!(opened.len(), 1, "{doc}");

    let listed = case.relance(&[
        "tasks",
        "--assignee",
        "Julie@acme.example",
        "--state",
        "open",
        "--date",
        "2026-12-01",
        "--json",
    ]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let tasks: Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    assert_eq!(tasks.as_array().map(Vec::len), Some(1), "{tasks}");
    let task = &tasks[0];
    assert_eq!(task["id"], opened[0]);
    assert_eq!(task["account"], "C3");
    assert_eq!(task["kind"], "call");
    assert_eq!(task["assignee"], "julie@acme.example");
    assert_eq!(task["items"], serde_json::json!(["C3/INV-3"]));
    let id = task["id"].to_string();
    let human = case.relance(&["tasks"]);
    let table = text(&human.stdout);
    assert!(
        table.contains("C3") && table.contains("call") && table.contains("julie@acme.example"),
        "{table}"
    );
    assert!(table.ends_with("1 task(s), 1 open\n"), "{table}");

    let bad_state = case.relance(&["tasks", "--state", "pending"]);
    assert_eq!(bad_state.status.code(), Some(2));
    let no_outcome = case.relance(&["task", "done", &id]);
    assert_eq!(no_outcome.status.code(), Some(2), "--outcome is required");
    let no_date = case.relance(&["task", "done", &id, "--outcome", "promise"]);
    assert_eq!(no_date.status.code(), Some(1));
    assert!(
        text(&no_date.stderr).contains("--promise-date"),
        "{}",
        text(&no_date.stderr)
    );
    let unknown = case.relance(&["task", "done", "9999", "--outcome", "reached"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no task 9999"));

    let promise_date = (chrono::Utc::now().date_naive() + chrono::Days::new(10)).to_string();
    let done = case.relance(&[
        "task",
        "done",
        &id,
        "--outcome",
        "promise",
        "--promise-date",
        &promise_date,
        "--note",
        "CFO confirmed the transfer",
    ]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert!(
        text(&done.stdout).contains(&format!("C3/INV-3: promise (pays on {promise_date})")),
        "{}",
        text(&done.stdout)
    );
    let again = case.relance(&["task", "done", &id, "--outcome", "reached"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("is done, not open"));
    let done_list = case.relance(&["tasks", "--state", "done", "--json"]);
    let done_list: Value = serde_json::from_slice(&done_list.stdout).expect("JSON");
    assert_eq!(done_list[0]["outcome"], "promise");
    assert_eq!(done_list[0]["outcome_note"], "CFO confirmed the transfer");
    assert_eq!(done_list[0]["closed_by"], "cli");

    // The next day's plan leaves the promised invoice alone.
    let plan = case.relance(&[
        "plan",
        "--date",
        "2026-12-02",
        "--account",
        "C3",
        "--explain",
    ]);
    assert!(
        text(&plan.stdout).contains("INV-3: suspended by promise"),
        "{}",
        text(&plan.stdout)
    );
}
