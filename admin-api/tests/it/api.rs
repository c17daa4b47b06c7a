//! The admin API over real HTTP (docs/reference/api.md): a server on port 0, a real
//! SQLite file (and PostgreSQL for the main flow), requests with reqwest.

use std::collections::BTreeSet;
use std::sync::Arc;

use relance_admin_api::runs::{BoxFuture, QueueError, RunJob, RunQueue, RunRequest};

use crate::support::{self, ADMIN, Api, DAY, OPERATOR, VIEWER};
use reqwest::Method;
use serde_json::{Value, json};

/// Every route of docs/reference/api.md with a path that exists in the fixture.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/runs"),
    ("GET", "/runs/1"),
    ("GET", "/actions"),
    ("POST", "/actions/1/approve"),
    ("POST", "/actions/1/reject"),
    ("GET", "/alerts"),
    ("GET", "/tasks"),
    ("POST", "/tasks/1/done"),
    ("GET", "/accounts/C1"),
    ("GET", "/accounts/C1/statement"),
    ("POST", "/items/C1/INV-1/status"),
    ("DELETE", "/items/C1/INV-1/status"),
    ("GET", "/items/C1/INV-1/files"),
    ("POST", "/items/C1/INV-1/files"),
    ("GET", "/accounts/C1/files"),
    ("PATCH", "/files/1"),
    ("POST", "/imports?kind=items"),
    ("POST", "/config/validate"),
    ("POST", "/config/reload"),
    ("GET", "/reports/aging"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
];

fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).expect("a method")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_needs_no_token_and_says_the_store_answers() {
    let api = Api::sqlite().await;
    let health = api.send(api.request(Method::GET, "/health", None)).await;
    assert_eq!(health.ok(200), &json!({"status": "ok", "store": "ok"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_a_missing_or_unknown_token() {
    let api = Api::sqlite().await;
    for (m, path) in ROUTES {
        let none = api.send(api.request(method(m), path, None)).await;
        none.assert_error(401, "unauthorized");
        let wrong = api
            .send(api.request(method(m), path, Some("not-a-token-of-this-server")))
            .await;
        wrong.assert_error(401, "unauthorized");
        let malformed = api
            .send(
                api.request(method(m), path, None)
                    .header("Authorization", "Basic dXNlcjpwYXNz"),
            )
            .await;
        malformed.assert_error(401, "unauthorized");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_reads_everything_and_changes_nothing() {
    let api = Api::sqlite().await;
    for (m, path) in ROUTES {
        let answer = api.send(api.request(method(m), path, Some(VIEWER))).await;
        if *m == "GET" {
            assert!(
                answer.status != 401 && answer.status != 403,
                "{m} {path}: {}",
                answer.text
            );
        } else {
            let message = answer.assert_error(403, "forbidden");
            assert!(message.contains("viewer"), "{message}");
        }
    }
    // Nothing was changed by the refused writes.
    let actions = api.get("/actions", VIEWER).await;
    assert_eq!(actions.ok(200)["actions"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_reloads_the_configuration() {
    let api = Api::sqlite().await;
    let operator = api.post("/config/reload", OPERATOR, json!({})).await;
    assert!(operator.assert_error(403, "forbidden").contains("admin"));
    let admin = api
        .send(api.request(Method::POST, "/config/reload", Some(ADMIN)))
        .await;
    assert_eq!(admin.ok(200)["ok"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_get_the_error_shape() {
    let api = Api::sqlite().await;
    api.get("/nothing/here", VIEWER)
        .await
        .assert_error(404, "not_found");
    api.send(api.request(Method::PUT, "/runs", Some(OPERATOR)))
        .await
        .assert_error(405, "method_not_allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_returns_the_plan_document_and_records_nothing() {
    let api = Api::sqlite().await;
    let plan = api
        .post("/runs", OPERATOR, json!({"date": DAY, "dry_run": true}))
        .await;
    let doc = plan.ok(200).clone();
    assert_eq!(doc["date"], DAY);
    let accounts: Vec<&str> = doc["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a["account"].as_str().expect("an account"))
        .collect();
    // C4 has no billing contact: an alert instead of an action.
    assert_eq!(accounts, ["C1", "C3"]);
    // The same document as the engine's plan (`relance plan --json`).
    let planner = support::planner(&support::example_dir());
    let selection = relance_engine::run::Selection::all(&planner);
    let when = relance_engine::run::When::Date(DAY.parse().expect("a date"));
    let plans = relance_engine::run::plan(&api.store, &planner, when, &selection)
        .await
        .expect("planned");
    let mut expected = relance_engine::planner::output::PlanJson {
        date: Some(DAY.parse().expect("a date")),
        ..Default::default()
    };
    for p in &plans {
        expected.push(p);
    }
    expected.sort();
    assert_eq!(doc, serde_json::to_value(&expected).expect("json"));
    let actions = api.get("/actions", VIEWER).await;
    assert_eq!(actions.ok(200)["actions"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_run_ends_done_and_counts_the_actions_it_recorded() {
    let api = Api::sqlite().await;
    let run = api.run_to_end(json!({"date": DAY})).await;
    assert_eq!(run["state"], "done", "{run}");
    assert_eq!(run["requested_by"], "api:ci");
    let counts = &run["counts"];
    assert_eq!(counts["planned"], 2, "{run}");
    // C1 is in review mode: its action waits; C3's is queued (nothing is sent here).
    assert_eq!(counts["waiting"], 1);
    assert_eq!(counts["queued"], 1);
    assert_eq!(counts["sent"], 0);
    let origin = format!("run:{}", run["id"]);
    let actions = api.get("/actions", VIEWER).await;
    let list = actions.ok(200)["actions"]
        .as_array()
        .expect("a list")
        .clone();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|a| a["origin"] == origin.as_str()));
    // The same date again records nothing new.
    let again = api.run_to_end(json!({"date": DAY})).await;
    assert_eq!(again["state"], "done");
    assert_eq!(again["counts"]["planned"], 0);
}

/// A queue that keeps what it is given, like a job queue nobody works.
#[derive(Default)]
struct Kept(std::sync::Mutex<Vec<RunJob>>);

impl RunQueue for Kept {
    fn enqueue(&self, job: RunJob) -> BoxFuture<'_, Result<(), QueueError>> {
        Box::pin(async move {
            self.0.lock().expect("not poisoned").push(job);
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_request_goes_to_the_queue_plugged_in_and_stays_queued() {
    let kept = Arc::new(Kept::default());
    let api = Api::sqlite_with_queue(kept.clone()).await;
    let queued = api
        .post("/runs", OPERATOR, json!({"date": DAY, "accounts": ["C3"]}))
        .await;
    let id = queued.ok(202)["id"].as_i64().expect("an id");
    let jobs = kept.0.lock().expect("not poisoned").clone();
    assert_eq!(
        jobs,
        vec![RunJob {
            id,
            request: RunRequest {
                date: Some(DAY.parse().expect("a date")),
                dry_run: false,
                accounts: Some(vec!["C3".into()]),
            },
        }]
    );
    let run = api.get(&format!("/runs/{id}"), VIEWER).await;
    assert_eq!(run.ok(200)["state"], "queued");
    assert_eq!(run.json["counts"]["planned"], 0);
    // What a job handler does with it: execute, then the run is done.
    let planner = support::planner(&api.config_dir);
    relance_admin_api::runs::execute(&api.store, &planner, &jobs[0], chrono::Utc::now())
        .await
        .expect("executed");
    let run = api.get(&format!("/runs/{id}"), VIEWER).await;
    assert_eq!(run.ok(200)["state"], "done");
    assert_eq!(run.json["counts"]["planned"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_of_named_accounts_records_only_theirs() {
    let api = Api::sqlite().await;
    let run = api
        .run_to_end(json!({"date": DAY, "accounts": ["C3"]}))
        .await;
    assert_eq!(run["counts"]["planned"], 1, "{run}");
    let actions = api.get("/actions?account=C3", VIEWER).await;
    assert_eq!(actions.ok(200)["actions"].as_array().map(Vec::len), Some(1));
    let others = api.get("/actions?account=C1", VIEWER).await;
    assert_eq!(others.ok(200)["actions"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_requests_with_bad_json_types_dates_or_accounts_are_refused() {
    let api = Api::sqlite().await;
    let syntax = api
        .send(
            api.request(Method::POST, "/runs", Some(OPERATOR))
                .header("content-type", "application/json")
                .body("{\"date\": "),
        )
        .await;
    assert!(syntax.assert_error(400, "bad_request").contains("JSON"));
    let types = api.post("/runs", OPERATOR, json!({"dry_run": "yes"})).await;
    assert!(types.assert_error(400, "bad_request").contains("dry_run"));
    let date = api
        .post("/runs", OPERATOR, json!({"date": "2026-13-01"}))
        .await;
    assert!(date.assert_error(400, "bad_request").contains("date"));
    let far = api
        .post(
            "/runs",
            OPERATOR,
            json!({"date": "+200000-01-01", "dry_run": true}),
        )
        .await;
    assert!(
        far.assert_error(400, "bad_request")
            .contains("out of range")
    );
    let unknown_field = api.post("/runs", OPERATOR, json!({"dryrun": true})).await;
    assert!(
        unknown_field
            .assert_error(400, "bad_request")
            .contains("dryrun")
    );
    let member = api
        .post("/runs", OPERATOR, json!({"accounts": ["C2", "NOPE"]}))
        .await;
    let message = member.assert_error(404, "not_found");
    assert!(
        message.contains("C2") && message.contains("NOPE"),
        "{message}"
    );
    let empty = api.post("/runs", OPERATOR, json!({"accounts": []})).await;
    empty.assert_error(400, "bad_request");
    // serde reads a struct from an array: `[]` must not pass for `{}`.
    for body in [
        json!([]),
        json!([null, false]),
        json!("run"),
        json!(null),
        json!(7),
    ] {
        let answer = api.post("/runs", OPERATOR, body.clone()).await;
        let message = answer.assert_error(400, "bad_request");
        assert!(message.contains("a JSON object"), "{body}: {message}");
    }
    let answer = api
        .post("/items/C1/INV-1/status", OPERATOR, json!(["dispute"]))
        .await;
    assert!(
        answer
            .assert_error(400, "bad_request")
            .contains("a JSON object")
    );
    let answer = api
        .post(
            "/items/C1/INV-1/status",
            OPERATOR,
            json!({"status": "dispute", "by": "x"}),
        )
        .await;
    assert!(
        answer
            .assert_error(400, "bad_request")
            .contains("unknown field `by`")
    );
    let not_json = api
        .send(
            api.request(Method::POST, "/runs", Some(OPERATOR))
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
    not_json.assert_error(415, "unsupported_media_type");
    // Nothing was queued.
    api.get("/runs/1", VIEWER)
        .await
        .assert_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_get_431_with_the_error_shape() {
    let api = Api::sqlite().await;
    // One header of 1 MB.
    let answer = api
        .send(
            api.request(Method::GET, "/actions", Some(VIEWER))
                .header("x-big", "a".repeat(1_000_000)),
        )
        .await;
    let message = answer.assert_error(431, "headers_too_large");
    assert!(message.contains("64 KiB"), "{message}");
    assert!(answer.content_type.starts_with("application/json"));
    // 300 small header lines, on the open route too.
    let mut many = api.request(Method::GET, "/health", None);
    for i in 0..300 {
        many = many.header(format!("x-h{i}"), "v");
    }
    let message = api
        .send(many)
        .await
        .assert_error(431, "headers_too_large")
        .to_string();
    assert!(message.contains("at most 100 lines"), "{message}");
    // The server goes on.
    api.get("/actions", VIEWER).await.ok(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_runs_are_404_and_bad_ids_400() {
    let api = Api::sqlite().await;
    api.get("/runs/999", VIEWER)
        .await
        .assert_error(404, "not_found");
    api.get("/runs/abc", VIEWER)
        .await
        .assert_error(400, "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_ten_megabytes_is_refused_with_413() {
    let api = Api::sqlite().await;
    let big = format!(
        "{{\"accounts\": [\"{}\"]}}",
        "x".repeat(relance_admin_api::BODY_LIMIT)
    );
    let answer = api
        .send(
            api.request(Method::POST, "/runs", Some(OPERATOR))
                .header("content-type", "application/json")
                .body(big),
        )
        .await;
    answer.assert_error(413, "too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agenda_pages_with_a_cursor_until_next_is_null() {
    let api = Api::sqlite().await;
    // Many accounts: one action each.
    let mut customers = String::from("code,name\n");
    let mut contacts = String::from("customer,email\n");
    let mut items = String::from("customer,reference,type,due_date,amount\n");
    for i in 0..25 {
        customers.push_str(&format!("P{i:03},Paged {i}\n"));
        contacts.push_str(&format!("P{i:03},ap{i}@paged.example\n"));
        items.push_str(&format!("P{i:03},INV-P{i},invoice,2026-11-01,10.00\n"));
    }
    support::import(
        &api.store,
        &[
            ("customers.csv", &customers),
            ("contacts.csv", &contacts),
            ("items.csv", &items),
        ],
    )
    .await;
    api.run_to_end(json!({"date": DAY})).await;
    let all = api.get("/actions?limit=1000", VIEWER).await;
    let all_ids: Vec<i64> = all.ok(200)["actions"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["id"].as_i64().expect("an id"))
        .collect();
    assert_eq!(all_ids.len(), 27);
    assert_eq!(all.json["next"], Value::Null);
    let mut seen = Vec::new();
    let mut after = 0;
    for _ in 0..10 {
        let page = api
            .get(&format!("/actions?limit=7&after={after}"), VIEWER)
            .await;
        let body = page.ok(200);
        seen.extend(
            body["actions"]
                .as_array()
                .expect("a list")
                .iter()
                .map(|a| a["id"].as_i64().expect("an id")),
        );
        match body["next"].as_i64() {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(seen, all_ids);
    for bad in ["limit=0", "limit=1001", "limit=x", "after=-1"] {
        api.get(&format!("/actions?{bad}"), VIEWER)
            .await
            .assert_error(400, "bad_request");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agenda_filters_by_state_account_and_date() {
    let api = Api::sqlite().await;
    api.run_to_end(json!({"date": DAY})).await;
    let waiting = api.get("/actions?state=waiting_review", VIEWER).await;
    let list = waiting.ok(200)["actions"]
        .as_array()
        .expect("a list")
        .clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["account"], "C1");
    assert_eq!(list[0]["mode"], "review");
    assert_eq!(list[0]["scenario"], "key_accounts");
    let by_date = api
        .get(&format!("/actions?date={DAY}&account=C3"), VIEWER)
        .await;
    assert_eq!(by_date.ok(200)["actions"].as_array().map(Vec::len), Some(1));
    let other_day = api.get("/actions?date=2026-11-21", VIEWER).await;
    assert_eq!(other_day.ok(200)["actions"], json!([]));
    let state = api.get("/actions?state=pending", VIEWER).await;
    assert!(state.assert_error(400, "bad_request").contains("pending"));
    let date = api.get("/actions?date=20-11-2026", VIEWER).await;
    assert!(date.assert_error(400, "bad_request").contains("20-11-2026"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejecting_a_review_action_keeps_it_from_ever_being_sent() {
    let api = Api::sqlite().await;
    api.run_to_end(json!({"date": DAY})).await;
    let waiting = api.get("/actions?state=waiting_review", VIEWER).await;
    let id = waiting.ok(200)["actions"][0]["id"].as_i64().expect("an id");
    let path = format!("/actions/{id}/reject");

    let no_reason = api.post(&path, OPERATOR, json!({"reason": "  "})).await;
    assert!(
        no_reason
            .assert_error(400, "bad_request")
            .contains("reason")
    );
    api.post(&path, OPERATOR, json!({}))
        .await
        .assert_error(400, "bad_request");
    let rejected = api
        .post(
            &path,
            OPERATOR,
            json!({"reason": "paid by cheque, in the post"}),
        )
        .await;
    let rejected = rejected.ok(200);
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["account"], "C1");
    let again = api.post(&path, OPERATOR, json!({"reason": "twice"})).await;
    assert!(again.assert_error(409, "conflict").contains("rejected"));
    let approve = api
        .send(api.request(
            Method::POST,
            &format!("/actions/{id}/approve"),
            Some(OPERATOR),
        ))
        .await;
    approve.assert_error(409, "conflict");
    api.post("/actions/99999/reject", OPERATOR, json!({"reason": "r"}))
        .await
        .assert_error(404, "not_found");

    let listed = api.get("/actions?state=rejected", VIEWER).await;
    let listed = listed.ok(200)["actions"]
        .as_array()
        .expect("actions")
        .clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id);
    // A later run (the worker's delivery included) sends nothing for it.
    api.run_to_end(json!({"date": "2026-11-21"})).await;
    let still = api.get("/actions?state=rejected", VIEWER).await;
    assert_eq!(still.ok(200)["actions"][0]["id"], id);
    let account = api.get("/accounts/C1", VIEWER).await;
    let history = account.ok(200)["history"]
        .as_array()
        .expect("history")
        .clone();
    assert!(
        history.iter().any(|h| h["kind"] == "action_rejected"
            && h["origin"] == "api:ci"
            && h["data"]["reason"] == "paid by cheque, in the post"),
        "{history:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_a_review_action_queues_it_and_anything_else_conflicts() {
    let api = Api::sqlite().await;
    api.run_to_end(json!({"date": DAY})).await;
    let waiting = api.get("/actions?state=waiting_review", VIEWER).await;
    let id = waiting.ok(200)["actions"][0]["id"].as_i64().expect("an id");
    let queued = api.get("/actions?state=queued", VIEWER).await;
    let auto = queued.ok(200)["actions"][0]["id"].as_i64().expect("an id");

    let approved = api
        .send(api.request(
            Method::POST,
            &format!("/actions/{id}/approve"),
            Some(OPERATOR),
        ))
        .await;
    assert_eq!(approved.ok(200)["state"], "queued");
    let again = api
        .send(api.request(
            Method::POST,
            &format!("/actions/{id}/approve"),
            Some(OPERATOR),
        ))
        .await;
    assert!(again.assert_error(409, "conflict").contains("queued"));
    let not_review = api
        .send(api.request(
            Method::POST,
            &format!("/actions/{auto}/approve"),
            Some(OPERATOR),
        ))
        .await;
    not_review.assert_error(409, "conflict");
    api.send(api.request(Method::POST, "/actions/99999/approve", Some(OPERATOR)))
        .await
        .assert_error(404, "not_found");
    api.send(api.request(Method::POST, "/actions/x/approve", Some(OPERATOR)))
        .await
        .assert_error(400, "bad_request");
    assert_eq!(
        api.get("/actions?state=waiting_review", VIEWER).await.json["actions"],
        json!([])
    );
    let account = api.get("/accounts/C1", VIEWER).await;
    let history = account.ok(200)["history"]
        .as_array()
        .expect("history")
        .clone();
    assert!(
        history
            .iter()
            .any(|h| h["kind"] == "action_approved" && h["origin"] == "api:ci"),
        "{history:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_raised_by_a_run_are_listed_open() {
    let api = Api::sqlite().await;
    api.run_to_end(json!({"date": DAY})).await;
    let open = api.get("/alerts?state=open", VIEWER).await;
    let alerts = open.ok(200)["alerts"].as_array().expect("a list").clone();
    assert!(
        alerts
            .iter()
            .any(|a| a["account"] == "C4" && a["state"] == "open"),
        "C4 has no billing contact: {alerts:?}"
    );
    let resolved = api.get("/alerts?state=resolved", VIEWER).await;
    assert_eq!(resolved.ok(200)["alerts"], json!([]));
    let c4 = api.get("/alerts?account=C4", VIEWER).await;
    assert!(
        c4.ok(200)["alerts"]
            .as_array()
            .expect("a list")
            .iter()
            .all(|a| a["account"] == "C4")
    );
    api.get("/alerts?state=closed", VIEWER)
        .await
        .assert_error(400, "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_shows_its_facts_people_items_and_history() {
    let api = Api::sqlite().await;
    let run = api.run_to_end(json!({"date": DAY})).await;
    let answer = api.get(&format!("/accounts/C1?date={DAY}"), VIEWER).await;
    let a = answer.ok(200);
    assert_eq!(a["code"], "C1");
    assert_eq!(a["scenario"], "key_accounts");
    assert_eq!(a["facts"]["members_count"], 1);
    // 100 + 200 + 300 + 400 due, all but INV-1 overdue; the credit note lowers the balance.
    assert_eq!(a["facts"]["total_due"], 1000.0);
    assert_eq!(a["facts"]["overdue_amount"], 900.0);
    assert_eq!(a["facts"]["balance"], 950.0);
    assert_eq!(a["contacts"][0]["email"], "ap@one.example");
    let roles: BTreeSet<&str> = a["colleagues"]
        .as_array()
        .expect("colleagues")
        .iter()
        .map(|c| c["role"].as_str().expect("a role"))
        .collect();
    assert_eq!(roles, BTreeSet::from(["collector", "manager", "sales"]));
    let refs: BTreeSet<&str> = a["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["reference"].as_str().expect("a reference"))
        .collect();
    assert_eq!(
        refs,
        BTreeSet::from(["CN-1", "INV-1", "INV-2", "INV-3", "INV-4"])
    );
    assert_eq!(a["facts"]["last_action_date"], DAY);
    let recorded: Vec<&Value> = a["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["kind"] == "action_recorded")
        .collect();
    assert_eq!(recorded.len(), 1, "{}", a["history"]);
    assert_eq!(recorded[0]["origin"], format!("run:{}", run["id"]).as_str());
    let member = api.get("/accounts/C2", VIEWER).await;
    assert!(member.assert_error(404, "not_found").contains("C1"));
    api.get("/accounts/NOPE", VIEWER)
        .await
        .assert_error(404, "not_found");
    api.get("/accounts/C1?date=tomorrow", VIEWER)
        .await
        .assert_error(400, "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_groups_open_items_by_member_with_subtotals_and_total() {
    let api = Api::sqlite().await;
    let answer = api
        .get(
            &format!("/accounts/C1/statement?format=json&date={DAY}"),
            VIEWER,
        )
        .await;
    let s = answer.ok(200);
    let groups = s["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["customer"], "C1");
    assert_eq!(groups[0]["subtotals"], json!({"EUR": 650.0}));
    assert_eq!(groups[1]["customer"], "C2");
    assert_eq!(groups[1]["subtotals"], json!({"EUR": 300.0}));
    assert_eq!(s["totals"], json!({"EUR": 950.0}));
    assert_eq!(s["total"], 950.0);
    let credit = groups[0]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["reference"] == "CN-1")
        .expect("the credit note")
        .clone();
    assert_eq!(credit["remaining"], -50.0);

    let html = api.get("/accounts/C1/statement?format=html", VIEWER).await;
    assert_eq!(html.status, 200);
    assert!(html.content_type.starts_with("text/html"));
    assert!(html.text.contains("Client &lt;One&gt; &amp; Co"));
    assert!(!html.text.contains("<One>"));
    assert!(html.text.contains("INV-3"));
    // The templates' statement: one section per member, leader first, subtotals, total.
    let c1 = html
        .text
        .find("C1 — Client &lt;One&gt; &amp; Co")
        .expect("C1 section");
    let c2 = html.text.find("C2 — ").expect("C2 section");
    assert!(c1 < c2, "{}", html.text);
    assert!(html.text.contains("Subtotal"), "{}", html.text);
    assert!(html.text.contains("@page { size: A4"), "{}", html.text);
    let french = api
        .get("/accounts/C1/statement?format=html&lang=fr", VIEWER)
        .await;
    assert!(french.text.contains("Sous-total"), "{}", french.text);
    // The same statement as the PDF `attach statement` sends (its text is
    // read back with pdftotext in the templates' and worker's tests).
    let pdf = api
        .get("/accounts/C1/statement?format=pdf&lang=fr", VIEWER)
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.text.starts_with("%PDF-"));
    assert!(pdf.text.contains("(INV-3) Tj"), "{}", pdf.text);
    assert!(pdf.text.contains("(Sous-total) Tj"), "{}", pdf.text);
    api.get("/accounts/C1/statement?format=xml", VIEWER)
        .await
        .assert_error(400, "bad_request");
    api.get("/accounts/NOPE/statement", VIEWER)
        .await
        .assert_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_lists_an_item_in_litigation_apart_from_its_totals() {
    let api = Api::sqlite().await;
    api.post(
        "/items/C1/INV-4/status",
        OPERATOR,
        json!({"status": "litigation"}),
    )
    .await
    .ok(200);
    let s = api
        .get(
            &format!("/accounts/C1/statement?format=json&date={DAY}"),
            VIEWER,
        )
        .await
        .ok(200)
        .clone();
    let items = s["groups"][0]["items"].as_array().expect("items").clone();
    let inv4 = items
        .iter()
        .find(|i| i["reference"] == "INV-4")
        .expect("still listed");
    assert_eq!(inv4["held"], true);
    assert!(
        items
            .iter()
            .filter(|i| i["reference"] != "INV-4")
            .all(|i| i["held"] == false)
    );
    assert_eq!(
        s["groups"][0]["subtotals"],
        json!({"EUR": 250.0}),
        "650 without the 400 in litigation"
    );
    assert_eq!(s["total"], 550.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_are_set_and_cleared_with_history_and_bad_ones_refused() {
    let api = Api::sqlite().await;
    let set = api
        .post(
            "/items/C1/INV-2/status",
            OPERATOR,
            json!({"status": "promise", "promise_date": "2026-12-01", "comment": "on the phone"}),
        )
        .await;
    let body = set.ok(200);
    assert_eq!(body["status"], "promise");
    assert_eq!(body["previous"]["status"], Value::Null);
    let account = api.get("/accounts/C1", VIEWER).await;
    let item = account.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["reference"] == "INV-2")
        .expect("INV-2")
        .clone();
    assert_eq!(item["status"], "promise");
    assert_eq!(item["promise_date"], "2026-12-01");
    let history = account.json["history"].as_array().expect("history").clone();
    assert!(
        history
            .iter()
            .any(|h| h["kind"] == "status_set" && h["origin"] == "api:ci")
    );

    let cleared = api
        .send(api.request(
            Method::DELETE,
            "/items/C1/INV-2/status?comment=paid",
            Some(OPERATOR),
        ))
        .await;
    assert_eq!(cleared.ok(200)["previous"]["status"], "promise");

    let unknown = api
        .post(
            "/items/C1/INV-2/status",
            OPERATOR,
            json!({"status": "promis"}),
        )
        .await;
    assert!(
        unknown
            .assert_error(422, "invalid")
            .contains("did you mean")
    );
    let no_date = api
        .post(
            "/items/C1/INV-2/status",
            OPERATOR,
            json!({"status": "promise"}),
        )
        .await;
    assert!(
        no_date
            .assert_error(422, "invalid")
            .contains("promise_date")
    );
    let bad_date = api
        .post(
            "/items/C1/INV-2/status",
            OPERATOR,
            json!({"status": "promise", "promise_date": "2026-02-30"}),
        )
        .await;
    assert!(
        bad_date
            .assert_error(400, "bad_request")
            .contains("2026-02-30")
    );
    let wrong_type = api
        .post(
            "/items/C1/INV-2/status",
            OPERATOR,
            json!({"status": ["dispute"]}),
        )
        .await;
    wrong_type.assert_error(400, "bad_request");
    let missing = api
        .post(
            "/items/C1/NOPE/status",
            OPERATOR,
            json!({"status": "dispute"}),
        )
        .await;
    missing.assert_error(404, "not_found");
    api.send(api.request(Method::DELETE, "/items/C1/NOPE/status", Some(OPERATOR)))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_problems_give_their_real_line_and_escape_line_breaks() {
    let api = Api::sqlite().await;
    let mut long = String::from(
        "customer,reference,type,due_date,amount\nC1,NEW-1,invoice,2026-12-01,10.00\nC1,NEW-2,invoice,2026-12-01,",
    );
    long.push_str(&"9".repeat(2 * 1024 * 1024));
    long.push('\n');
    let answer = api
        .send(
            api.request(Method::POST, "/imports?kind=items", Some(OPERATOR))
                .header("content-type", "text/csv")
                .body(long),
        )
        .await;
    answer.assert_error(422, "invalid_rows");
    let error = &answer.json["error"]["details"]["errors"][0];
    assert_eq!(error["line"], 3, "{}", answer.text);
    assert_eq!(error["message"], "the line is longer than 1 MiB");

    let crlf = api
        .send(csv_post(
            &api,
            "?kind=items",
            "customer,reference,type,due_date,amount\nC1,\"NEW\r\n-9\",invoice,\"2026\r\n12-01\",10.00\n",
        ))
        .await;
    crlf.assert_error(422, "invalid_rows");
    let message = crlf.json["error"]["details"]["errors"][0]["message"]
        .as_str()
        .expect("a message");
    assert!(
        !message.contains('\r') && !message.contains('\n'),
        "{message:?}"
    );
    assert!(message.contains("2026\\r\\n12-01"), "{message:?}");

    let quote = api
        .send(csv_post(
            &api,
            "?kind=items",
            "customer,reference,type,due_date,amount\nC1,NEW-1,invoice,2026-12-01,10.00\nC1,\"NEW-2,invoice,2026-12-01,10.00\nC1,NEW-3,invoice,2026-12-01,10.00\n",
        ))
        .await;
    quote.assert_error(422, "invalid_rows");
    let error = &quote.json["error"]["details"]["errors"][0];
    assert_eq!(error["line"], 3, "{}", quote.text);
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("unterminated quote starting on line 3")),
        "{}",
        quote.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_while_another_writes_says_the_store_is_busy() {
    let api = Api::sqlite().await;
    let holder = api.store.begin_import().await.expect("the write lock");
    let answer = api
        .send(csv_post(
            &api,
            "?kind=items",
            "customer,reference,type,due_date,amount\nC1,NEW-1,invoice,2026-12-01,10.00\n",
        ))
        .await;
    let message = answer.assert_error(503, "unavailable");
    assert!(
        message.starts_with("the store is busy: another import or run is writing (waited 10 s)"),
        "{message}"
    );
    holder.rollback().await.expect("a rollback");
    let answer = api
        .send(csv_post(
            &api,
            "?kind=items",
            "customer,reference,type,due_date,amount\nC1,NEW-1,invoice,2026-12-01,10.00\n",
        ))
        .await;
    assert_eq!(answer.ok(200)["files"][0]["inserted"], 1);
}

fn csv_post(api: &Api, query: &str, body: &'static str) -> reqwest::RequestBuilder {
    api.request(Method::POST, &format!("/imports{query}"), Some(OPERATOR))
        .header("content-type", "text/csv")
        .body(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_with_bad_rows_reports_them_all_and_imports_nothing() {
    let api = Api::sqlite().await;
    let bad = api
        .send(csv_post(
            &api,
            "?kind=items",
            "customer,reference,type,due_date,amount\n\
             C1,NEW-1,invoice,2026-12-01,10.00\n\
             C1,NEW-2,invoice,2026-13-01,10.00\n\
             ZZZ,NEW-3,invoice,2026-12-01,10.00\n",
        ))
        .await;
    let message = bad.assert_error(422, "invalid_rows");
    assert!(message.contains("2 problems"), "{message}");
    let errors = bad.json["error"]["details"]["errors"]
        .as_array()
        .expect("the rows")
        .clone();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[1]["line"], 4);
    let account = api.get("/accounts/C1", VIEWER).await;
    assert!(
        !account.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["reference"] == "NEW-1"),
        "nothing is imported when a row is bad"
    );

    let good = api
        .send(csv_post(
            &api,
            "?kind=items",
            "customer,reference,type,due_date,amount\nC1,NEW-1,invoice,2026-12-01,10.00\n",
        ))
        .await;
    assert_eq!(good.ok(200)["files"][0]["inserted"], 1);
    let account = api.get("/accounts/C1", VIEWER).await;
    assert!(
        account.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["reference"] == "NEW-1")
    );

    api.send(csv_post(&api, "", "code,name\nX,Y\n"))
        .await
        .assert_error(400, "bad_request");
    api.send(csv_post(&api, "?kind=invoices", "code,name\nX,Y\n"))
        .await
        .assert_error(400, "bad_request");
    api.send(csv_post(
        &api,
        "?kind=customers&full=true",
        "code,name\nX,Y\n",
    ))
    .await
    .assert_error(400, "bad_request");
    api.send(csv_post(&api, "?kind=items&full=maybe", "code,name\nX,Y\n"))
        .await
        .assert_error(400, "bad_request");
    api.send(csv_post(&api, "?kind=items", ""))
        .await
        .assert_error(400, "bad_request");
}

/// The status, promise date and comment of C1/INV-2 as the API shows them.
async fn inv2(api: &Api) -> (Value, Value, Value) {
    let account = api.get("/accounts/C1", VIEWER).await;
    let item = account.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["reference"] == "INV-2")
        .expect("INV-2")
        .clone();
    (
        item["status"].clone(),
        item["promise_date"].clone(),
        item["comment"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_set_through_the_api_survives_the_nightly_import() {
    let api = Api::sqlite().await;
    api.post(
        "/items/C1/INV-2/status",
        OPERATOR,
        json!({"status": "promise", "promise_date": "2026-12-01", "comment": "CFO phoned"}),
    )
    .await
    .ok(200);
    let recorded = (json!("promise"), json!("2026-12-01"), json!("CFO phoned"));
    for (query, body) in [
        (
            "?kind=items",
            "customer,reference,type,due_date,amount,currency
             C1,INV-2,invoice,2026-11-10,200.00,EUR
",
        ),
        (
            "?kind=items&full=true",
            "customer,reference,type,due_date,amount,currency,status,promise_date,comment
             C1,INV-1,invoice,2026-11-25,100.00,EUR,,,
             C1,INV-2,invoice,2026-11-10,200.00,EUR,,,
             C1,INV-4,invoice,2026-09-01,400.00,EUR,,,
             C1,CN-1,credit_note,2026-10-01,50.00,EUR,,,
",
        ),
    ] {
        api.send(csv_post(&api, query, body)).await.ok(200);
        assert_eq!(inv2(&api).await, recorded, "after an import {query}");
    }
    api.send(csv_post(
        &api,
        "?kind=items",
        "customer,reference,type,due_date,amount,currency,status,comment
         C1,INV-2,invoice,2026-11-10,200.00,EUR,dispute,wrong quantity
",
    ))
    .await
    .ok(200);
    assert_eq!(
        inv2(&api).await,
        (
            json!("dispute"),
            json!("2026-12-01"),
            json!("wrong quantity")
        ),
        "a cell that says something replaces; the promise date it leaves unsaid stays"
    );
    let account = api.get("/accounts/C1", VIEWER).await;
    let changes: Vec<(String, String)> = account.json["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["reference"] == "INV-2")
        .map(|h| {
            (
                h["kind"].as_str().unwrap_or_default().to_string(),
                h["origin"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        changes.contains(&("status_set".into(), "api:ci".into()))
            && changes.contains(&("status_changed".into(), "import:items.csv".into())),
        "{changes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_over_one_hundred_megabytes_is_refused_with_413() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let api = Api::sqlite().await;
    // Declared too large: refused before a byte of the body is read. (A
    // streamed body over the limit is refused too, but the server closes
    // while the client still writes, so the client may see a broken pipe
    // instead of the answer: that race is not tested over a socket.)
    let address = api.base.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&address)
        .await
        .expect("the server listens");
    let request = format!(
        "POST /imports?kind=items HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {OPERATOR}\r\n\
         Content-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        relance_admin_api::routes::imports::IMPORT_LIMIT + 1
    );
    socket
        .write_all(request.as_bytes())
        .await
        .expect("the request is written");
    let mut answer = String::new();
    socket
        .read_to_string(&mut answer)
        .await
        .expect("the answer is read");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"too_large\""), "{answer}");
}

fn tar_of(dir: &std::path::Path) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_dir_all(".", dir).expect("archived");
    builder.into_inner().expect("archived")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validating_an_uploaded_configuration_gives_the_check_diagnostics() {
    let api = Api::sqlite().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    support::copy_dir(&support::example_dir(), dir.path());
    let main = dir.path().join("main.relance");
    let text = std::fs::read_to_string(&main).expect("main.relance");
    std::fs::write(
        &main,
        text.replace(
            "default_scenario \"standard\"",
            "default_scenario \"standart\"",
        ),
    )
    .expect("written");

    let answer = api
        .send(
            api.request(Method::POST, "/config/validate", Some(OPERATOR))
                .header("content-type", "application/x-tar")
                .body(tar_of(dir.path())),
        )
        .await;
    let doc = answer.ok(200).clone();
    assert_eq!(doc["ok"], false);
    // The same document as `relance check --json` on the directory.
    let report = relance_engine::config::load(dir.path()).expect("loads");
    let expected = relance_admin_api::routes::config::check_document(&report);
    assert_eq!(doc, expected);
    assert!(
        doc["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .any(|d| d["file"] == "main.relance"
                && d["message"].as_str().unwrap_or("").contains("standart"))
    );

    let valid = api
        .send(
            api.request(Method::POST, "/config/validate", Some(OPERATOR))
                .header("content-type", "application/x-tar")
                .body(tar_of(&support::example_dir())),
        )
        .await;
    assert_eq!(valid.ok(200)["ok"], true);

    let form = reqwest::multipart::Form::new().part(
        "main.relance",
        reqwest::multipart::Part::bytes(b"settings {\n  currency \"EUR\"\n".to_vec())
            .file_name("main.relance"),
    );
    let multipart = api
        .send(
            api.request(Method::POST, "/config/validate", Some(OPERATOR))
                .multipart(form),
        )
        .await;
    assert_eq!(multipart.ok(200)["ok"], false);

    api.send(
        api.request(Method::POST, "/config/validate", Some(OPERATOR))
            .header("content-type", "application/x-tar")
            .body("not a tar archive at all, just text that is long enough".repeat(20)),
    )
    .await
    .assert_error(400, "bad_request");
    api.send(
        api.request(Method::POST, "/config/validate", Some(OPERATOR))
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await
    .assert_error(415, "unsupported_media_type");
}

/// The crashing inputs of issue 15, one statement a line, 10,000 to 20,000
/// levels deep: each used to overflow the stack of the thread checking them.
fn deep_statements() -> String {
    let n = 10_000;
    [
        format!("{}true{}", "(".repeat(n), ")".repeat(n)),
        vec!["true"; 2 * n].join(" and "),
        format!("1 in {}1{}", "[".repeat(n), "]".repeat(n)),
        format!("{}true", "not ".repeat(n)),
        format!("{}1 < 0", "- ".repeat(n)),
    ]
    .iter()
    .map(|e| format!("assign \"standard\" when {e}\n"))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deeply_nested_configuration_is_refused_with_its_lines_and_the_server_lives_on() {
    let api = Api::sqlite().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    support::copy_dir(&support::example_dir(), dir.path());
    std::fs::write(dir.path().join("deep.relance"), deep_statements()).expect("written");

    let answer = api
        .send(
            api.request(Method::POST, "/config/validate", Some(OPERATOR))
                .header("content-type", "application/x-tar")
                .body(tar_of(dir.path())),
        )
        .await;
    let doc = answer.ok(200).clone();
    assert_eq!(doc["ok"], false);
    let deep: Vec<&Value> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "E024")
        .collect();
    assert_eq!(deep.len(), 5, "{doc}");
    for (d, line) in deep.iter().zip(1..) {
        assert_eq!(d["file"], "deep.relance", "{d}");
        assert_eq!(d["line"], line, "{d}");
    }

    // An admin reloading the same files: refused, the old configuration serves.
    std::fs::write(api.config_dir.join("deep.relance"), deep_statements()).expect("written");
    let refused = api
        .send(api.request(Method::POST, "/config/reload", Some(ADMIN)))
        .await;
    refused.assert_error(422, "invalid_config");
    let health = api.send(api.request(Method::GET, "/health", None)).await;
    assert_eq!(health.ok(200), &json!({"status": "ok", "store": "ok"}));
    let plan = api
        .post("/runs", OPERATOR, json!({"date": DAY, "dry_run": true}))
        .await;
    assert!(plan.status.is_success(), "{:?}", plan.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_configuration_is_not_installed_and_the_old_one_keeps_serving() {
    let api = Api::sqlite().await;
    let main = api.config_dir.join("main.relance");
    let good = std::fs::read_to_string(&main).expect("main.relance");
    std::fs::write(&main, "settings {\n  currency \"EUR\"\n").expect("written");
    let refused = api
        .send(api.request(Method::POST, "/config/reload", Some(ADMIN)))
        .await;
    let message = refused.assert_error(422, "invalid_config");
    assert!(message.contains("old one"), "{message}");
    assert_eq!(refused.json["error"]["details"]["ok"], false);
    // The old configuration still plans.
    let plan = api
        .post("/runs", OPERATOR, json!({"date": DAY, "dry_run": true}))
        .await;
    assert_eq!(plan.ok(200)["actions"].as_array().map(Vec::len), Some(2));

    // A valid change is installed: key accounts become auto.
    std::fs::write(&main, good).expect("written");
    let key = api.config_dir.join("scenarios/key_accounts.relance");
    let text = std::fs::read_to_string(&key).expect("key_accounts");
    std::fs::write(&key, text.replace("mode    review", "mode    auto")).expect("written");
    let installed = api
        .send(api.request(Method::POST, "/config/reload", Some(ADMIN)))
        .await;
    assert_eq!(installed.ok(200)["ok"], true);
    let plan = api
        .post("/runs", OPERATOR, json!({"date": DAY, "dry_run": true}))
        .await;
    let c1 = plan.ok(200)["actions"][0].clone();
    assert_eq!(c1["account"], "C1");
    assert_eq!(c1["mode"], "auto");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aging_buckets_open_debits_by_days_overdue_in_the_platform_currency() {
    let api = Api::sqlite().await;
    let answer = api.get(&format!("/reports/aging?date={DAY}"), VIEWER).await;
    let r = answer.ok(200);
    let buckets: Vec<(String, i64, f64)> = r["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|l| {
            (
                l["bucket"].as_str().expect("a bucket").to_string(),
                l["items"].as_i64().expect("a count"),
                l["amount"].as_f64().expect("an amount"),
            )
        })
        .collect();
    assert_eq!(
        buckets,
        vec![
            ("not_due".to_string(), 1, 100.0),
            ("1-30".to_string(), 2, 250.0),
            ("31-60".to_string(), 1, 300.0),
            ("61-90".to_string(), 1, 400.0),
            // 500 USD at 0.92
            ("over_90".to_string(), 1, 460.0),
        ]
    );
    assert_eq!(r["total"], 1510.0);
    assert_eq!(r["items"], 6);
    assert_eq!(r["missing_rates"], json!([]));
    assert_eq!(r["currency"], "EUR");
    // Grouped by collector: Julie collects every account of the fixture.
    let grouped = api
        .get(&format!("/reports/aging?date={DAY}&by=collector"), VIEWER)
        .await;
    let groups = grouped.ok(200)["groups"]
        .as_array()
        .expect("groups")
        .clone();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["group"], "julie@acme.example");
    assert_eq!(groups[0]["total"], 1510.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qualified_sums_overdue_debits_by_item_status() {
    let api = Api::sqlite().await;
    api.post(
        "/items/C1/INV-4/status",
        OPERATOR,
        json!({"status": "dispute", "comment": "wrong price"}),
    )
    .await
    .ok(200);
    let answer = api
        .get(&format!("/reports/qualified?date={DAY}"), VIEWER)
        .await;
    let r = answer.ok(200);
    let line = |g: &str| {
        r["statuses"]
            .as_array()
            .expect("statuses")
            .iter()
            .find(|l| l["status"] == g)
            .cloned()
            .unwrap_or_else(|| panic!("no line {g}"))
    };
    assert_eq!(line("dispute")["amount"], 400.0);
    assert_eq!(line("promise")["items"], 0);
    assert_eq!(r["qualified"], 400.0);
    // Overdue on DAY: every open debit but the one not yet due.
    assert_eq!(r["overdue"], 1410.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_answers_json_csv_and_svg_and_bad_requests_are_400() {
    let api = Api::sqlite().await;
    for name in [
        "aging",
        "dso",
        "qualified",
        "forecast",
        "receipts",
        "disputes",
        "profile",
    ] {
        let json = api
            .get(&format!("/reports/{name}?date={DAY}"), VIEWER)
            .await;
        assert_eq!(json.ok(200)["report"], name);
        let csv = api
            .get(&format!("/reports/{name}?date={DAY}&format=csv"), VIEWER)
            .await;
        assert_eq!(csv.status.as_u16(), 200, "{name}: {}", csv.text);
        assert!(csv.content_type.starts_with("text/csv"), "{name}");
        assert!(csv.text.lines().count() >= 2, "{name}: {}", csv.text);
        let svg = api
            .get(&format!("/reports/{name}?date={DAY}&format=svg"), VIEWER)
            .await;
        assert_eq!(svg.status.as_u16(), 200, "{name}: {}", svg.text);
        assert!(svg.content_type.starts_with("image/svg+xml"), "{name}");
        assert!(svg.text.contains("<svg"), "{name}");
    }
    let dso = api
        .get(&format!("/reports/dso?date={DAY}&days=30"), VIEWER)
        .await;
    let dso = dso.ok(200);
    for key in ["receivables", "sales", "days", "standard", "countback"] {
        assert!(dso.get(key).is_some(), "dso has {key}: {dso}");
    }
    assert_eq!(dso["days"], 30);
    let forecast = api
        .get(&format!("/reports/forecast?date={DAY}"), VIEWER)
        .await;
    let forecast = forecast.ok(200);
    for key in [
        "weeks",
        "later",
        "disputed",
        "excluded",
        "off_forecast",
        "broken_promises",
    ] {
        assert!(
            forecast.get(key).is_some(),
            "forecast has {key}: {forecast}"
        );
    }
    assert_eq!(forecast["weeks"].as_array().map(Vec::len), Some(13));
    api.get("/reports/profit", VIEWER)
        .await
        .assert_error(404, "not_found");
    api.get("/reports/aging?customer=NOBODY", VIEWER)
        .await
        .assert_error(404, "not_found");
    api.get("/reports/aging?format=xml", VIEWER)
        .await
        .assert_error(400, "bad_request");
    api.get("/reports/aging?by=planet", VIEWER)
        .await
        .assert_error(400, "bad_request");
    api.get("/reports/dso?days=0", VIEWER)
        .await
        .assert_error(400, "bad_request");
    api.get("/reports/receipts?period=year", VIEWER)
        .await
        .assert_error(400, "bad_request");
    api.get("/reports/aging?date=2026-02-31", VIEWER)
        .await
        .assert_error(400, "bad_request");
    api.get("/reports/aging?date=0000-12-31", VIEWER)
        .await
        .assert_error(400, "bad_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_runs_actions_alerts_and_request_latencies() {
    let api = Api::sqlite().await;
    api.run_to_end(json!({"date": DAY})).await;
    let answer = api.get("/metrics", VIEWER).await;
    assert_eq!(answer.status, 200);
    assert!(answer.content_type.starts_with("text/plain"));
    let text = &answer.text;
    assert!(text.contains("relance_runs{state=\"done\"} 1"), "{text}");
    assert!(
        text.contains("relance_actions{state=\"queued\"} 1"),
        "{text}"
    );
    assert!(text.contains("relance_actions{state=\"waiting_review\"} 1"));
    assert!(text.contains("relance_alerts_open{level="));
    assert!(text.contains(
        "relance_http_request_duration_seconds_count{method=\"POST\",route=\"/runs\",status=\"202\"} 1"
    ));
    assert!(text.contains("route=\"/runs/{id}\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route() {
    let api = Api::sqlite().await;
    let answer = api.get("/openapi.json", VIEWER).await;
    let doc = answer.ok(200);
    assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    for (m, path) in ROUTES {
        let template = path
            .split('?')
            .next()
            .unwrap_or(path)
            .replace("/runs/1", "/runs/{id}")
            .replace("/actions/1/", "/actions/{id}/")
            .replace("/tasks/1/", "/tasks/{id}/")
            .replace("/files/1", "/files/{id}")
            .replace("/accounts/C1", "/accounts/{code}")
            .replace("/items/C1/INV-1/", "/items/{customer}/{reference}/")
            .replace("/reports/aging", "/reports/{name}");
        let entry = paths
            .get(&template)
            .unwrap_or_else(|| panic!("{template} is not in the document"));
        assert!(
            entry.get(m.to_lowercase()).is_some(),
            "{m} {template} is not in the document"
        );
    }
    assert!(paths.contains_key("/health"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_carry_a_request_id_and_compress_large_lists() {
    let api = Api::sqlite().await;
    let response = api
        .request(Method::GET, "/openapi.json", Some(VIEWER))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("an answer");
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(
        response
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_run_an_approval_and_a_status_work_alike() {
    let Some(api) = Api::postgres().await else {
        return;
    };
    let run = api.run_to_end(json!({"date": DAY})).await;
    assert_eq!(run["state"], "done", "{run}");
    assert_eq!(run["counts"]["planned"], 2);
    assert_eq!(run["counts"]["waiting"], 1);
    let waiting = api.get("/actions?state=waiting_review", VIEWER).await;
    let id = waiting.ok(200)["actions"][0]["id"].as_i64().expect("an id");
    let approved = api
        .send(api.request(
            Method::POST,
            &format!("/actions/{id}/approve"),
            Some(OPERATOR),
        ))
        .await;
    assert_eq!(approved.ok(200)["state"], "queued");
    api.send(api.request(
        Method::POST,
        &format!("/actions/{id}/approve"),
        Some(OPERATOR),
    ))
    .await
    .assert_error(409, "conflict");
    api.post(
        "/items/C1/INV-4/status",
        OPERATOR,
        json!({"status": "dispute"}),
    )
    .await
    .ok(200);
    let aging = api.get(&format!("/reports/aging?date={DAY}"), VIEWER).await;
    assert_eq!(aging.ok(200)["total"], 1510.0);
    let qualified = api
        .get(&format!("/reports/qualified?date={DAY}"), VIEWER)
        .await;
    assert_eq!(qualified.ok(200)["items"], 5);
    let page = api.get("/actions?limit=2", VIEWER).await;
    assert_eq!(page.ok(200)["actions"].as_array().map(Vec::len), Some(2));
    assert!(page.json["next"].is_i64());
    let statement = api.get("/accounts/C1/statement", VIEWER).await;
    assert_eq!(
        statement.ok(200)["totals"],
        json!({"EUR": 550.0}),
        "INV-4 (400.00) is in dispute: held, in no total"
    );
    let alerts = api.get("/alerts?state=open", VIEWER).await;
    assert!(
        !alerts.ok(200)["alerts"]
            .as_array()
            .expect("a list")
            .is_empty()
    );
    let metrics = api.get("/metrics", VIEWER).await;
    assert!(metrics.text.contains("relance_runs{state=\"done\"} 1"));
    api.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_task_is_listed_by_assignee_and_completed_once_by_an_operator() {
    let api = Api::sqlite().await;
    // C4's invoice is due 2026-11-01: the standard scenario's call is due
    // 30 days later, assigned to its collector, Julie.
    api.run_to_end(json!({"date": "2026-12-01"})).await;
    let listed = api
        .get(
            "/tasks?assignee=julie@acme.example&state=open&date=2026-12-01",
            VIEWER,
        )
        .await;
    let tasks = listed.ok(200)["tasks"].as_array().expect("tasks").clone();
    let task = tasks
        .iter()
        .find(|t| t["account"] == "C4")
        .unwrap_or_else(|| panic!("C4's call: {tasks:?}"))
        .clone();
    assert_eq!(task["kind"], "call");
    assert_eq!(task["step"], "call");
    assert_eq!(task["items"], json!(["C4/INV-6"]));
    assert_eq!(task["state"], "open");
    let id = task["id"].as_i64().expect("an id");
    // The agenda shows the task with the action that opened it.
    let agenda = api.get("/actions?account=C4", VIEWER).await;
    let actions = agenda.ok(200)["actions"]
        .as_array()
        .expect("actions")
        .clone();
    let action = actions
        .iter()
        .find(|a| a["id"] == task["action"])
        .expect("the task's action");
    assert_eq!(action["kinds"], json!(["task"]));
    assert_eq!(action["tasks"][0]["assignee"], "julie@acme.example");
    assert_eq!(action["tasks"][0]["id"], id);
    // Nobody else's, and bad filters are refused.
    let sam = api.get("/tasks?assignee=sam@acme.example", VIEWER).await;
    assert!(
        !sam.ok(200)["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["id"] == id)
    );
    api.get("/tasks?state=pending", VIEWER)
        .await
        .assert_error(400, "bad_request");
    api.get("/tasks?date=tomorrow", VIEWER)
        .await
        .assert_error(400, "bad_request");

    let path = format!("/tasks/{id}/done");
    let promised = support::days_ahead(10).to_string();
    let body = json!({"outcome": "promise", "note": "pays Friday", "promise_date": promised});
    api.post(&path, VIEWER, body.clone())
        .await
        .assert_error(403, "forbidden");
    api.post(&path, OPERATOR, json!({"outcome": "promise"}))
        .await
        .assert_error(400, "bad_request");
    api.post(&path, OPERATOR, json!({"note": "no outcome"}))
        .await
        .assert_error(400, "bad_request");
    api.post(
        &path,
        OPERATOR,
        json!({"outcome": "promise", "promise_date": "04/12/2026"}),
    )
    .await
    .assert_error(400, "bad_request");
    let done = api.post(&path, OPERATOR, body.clone()).await;
    let done = done.ok(200);
    assert_eq!(done["state"], "done");
    assert_eq!(done["outcome"], "promise");
    assert_eq!(done["outcome_note"], "pays Friday");
    assert_eq!(done["promise_date"], json!(promised));
    assert_eq!(done["closed_by"], "api:ci");
    api.post(&path, OPERATOR, body)
        .await
        .assert_error(409, "conflict");
    api.post("/tasks/99999/done", OPERATOR, json!({"outcome": "reached"}))
        .await
        .assert_error(404, "not_found");

    // The item is promised, and the history says who did what.
    let account = api.get("/accounts/C4", VIEWER).await;
    let account = account.ok(200);
    let item = account["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["reference"] == "INV-6")
        .expect("INV-6")
        .clone();
    assert_eq!(item["status"], "promise", "{item}");
    let history = account["history"].as_array().expect("history");
    assert!(
        history
            .iter()
            .any(|h| h["kind"] == "task_done" && h["origin"] == "api:ci"),
        "{history:?}"
    );
}
