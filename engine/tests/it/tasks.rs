//! Tasks on both backends: a step's `task` opens one task per run (a review
//! step's when it is approved), assigned to the resolved colleague or to
//! nobody with `missing_assignee`; completing it with `promise` suspends
//! the items in the same transaction; a run cancels it once its items are paid.

use chrono::{NaiveDate, TimeZone, Utc};
use relance_engine::approve;
use relance_engine::import;
use relance_engine::planner::Planner;
use relance_engine::run::{self, Selection, When};
use relance_engine::status::ChangeStamp;
use relance_engine::store::Store;
use relance_engine::store::tasks::TaskFilter;
use relance_engine::tasks::{self, Completion, TaskError};

use crate::support::{both, files, import_options, planner_of};

const CONFIG: &str = r#"
settings {
  timezone "Europe/Paris"
  currency "EUR"
  default_scenario "standard"
}
status "promise" {
  suspends until item.promise_date + 3d
}
status "dispute" {
  suspends
}
scenario "standard" {
  step "call"   at due + 5d  { task call assign collector note "Ask when it will be paid" }
  step "visit"  at due + 20d { task visit assign sales }
  step "review" at due + 30d {
    task check assign collector
    mode review
  }
}
"#;

fn day(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

fn stamp(today: &str) -> ChangeStamp {
    ChangeStamp {
        today: day(today),
        now: format!("{today}T10:00:00Z"),
        origin: "ui:ann@acme.example".into(),
    }
}

/// C1 has a collector (Ann) and no sales colleague; C2 has nobody.
async fn seeded(store: &Store, planner: &Planner, items: &str) {
    let (_dir, paths) = files(&[
        (
            "colleagues.csv",
            b"email,name,role\nann@acme.example,Ann,collector\n",
        ),
        ("customers.csv", b"code,name\nC1,One SA\nC2,Two SA\n"),
        (
            "assignments.csv",
            b"customer,colleague\nC1,ann@acme.example\n",
        ),
        ("items.csv", items.as_bytes()),
    ]);
    import::import(store, &planner.config, &paths, &import_options())
        .await
        .expect("imported");
}

const ITEMS: &str = "customer,reference,type,due_date,amount\n\
                     C1,INV-1,invoice,2026-11-01,100.00\n\
                     C1,INV-2,invoice,2026-11-02,50.00\n\
                     C2,INV-9,invoice,2026-11-01,70.00\n";

async fn run_on(store: &Store, planner: &Planner, date: &str) -> run::RunOutcome {
    run::run(
        store,
        planner,
        When::Date(day(date)),
        &Selection::all(planner),
        Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap(),
        "run:test",
    )
    .await
    .expect("a run")
}

async fn all_tasks(store: &Store) -> Vec<relance_engine::store::tasks::TaskRow> {
    tasks::list(store, &TaskFilter::default())
        .await
        .expect("listed")
}

#[tokio::test]
async fn a_task_step_opens_one_task_for_the_resolved_colleague_or_for_nobody_with_an_alert() {
    let planner = planner_of(CONFIG);
    for t in both().await {
        seeded(&t.store, &planner, ITEMS).await;
        let outcome = run_on(&t.store, &planner, "2026-11-09").await;
        assert_eq!(outcome.tasks_opened.len(), 2, "{}", t.name);
        let listed = all_tasks(&t.store).await;
        let c1 = listed
            .iter()
            .find(|x| x.account == "C1")
            .expect("C1's task");
        assert_eq!(c1.kind, "call", "{}", t.name);
        assert_eq!(c1.assignee.as_deref(), Some("ann@acme.example"));
        assert_eq!(c1.note.as_deref(), Some("Ask when it will be paid"));
        assert_eq!(c1.items, vec!["C1/INV-1", "C1/INV-2"]);
        assert_eq!(c1.due_on, "2026-11-09");
        assert_eq!(c1.state, "open");
        assert_eq!(c1.step, "call");
        let c2 = listed
            .iter()
            .find(|x| x.account == "C2")
            .expect("C2's task");
        assert_eq!(c2.assignee, None, "{}: C2 has no collector", t.name);
        assert!(
            outcome
                .raised_alerts
                .iter()
                .any(|a| a.alert == "missing_assignee" && a.account == "C2"),
            "{}: {:?}",
            t.name,
            outcome.raised_alerts
        );
        assert!(
            !outcome
                .raised_alerts
                .iter()
                .any(|a| a.alert == "missing_assignee" && a.account == "C1"),
            "{}",
            t.name
        );

        // A rerun opens nothing more; the filters select.
        let again = run_on(&t.store, &planner, "2026-11-09").await;
        assert!(again.tasks_opened.is_empty(), "{}", t.name);
        assert_eq!(all_tasks(&t.store).await.len(), 2, "{}", t.name);
        let ann = tasks::list(
            &t.store,
            &TaskFilter {
                assignee: Some("ann@acme.example".into()),
                state: Some("open".into()),
                due_on: Some("2026-11-09".into()),
                ..TaskFilter::default()
            },
        )
        .await
        .expect("listed");
        assert_eq!(ann.len(), 1, "{}", t.name);
        let unassigned = tasks::list(
            &t.store,
            &TaskFilter {
                assignee: Some(String::new()),
                ..TaskFilter::default()
            },
        )
        .await
        .expect("listed");
        assert_eq!(unassigned.len(), 1, "{}", t.name);
        assert_eq!(unassigned[0].account, "C2", "{}", t.name);
    }
}

#[tokio::test]
async fn completing_with_a_promise_sets_the_items_status_and_the_next_plan_suspends_them() {
    let planner = planner_of(CONFIG);
    for t in both().await {
        seeded(&t.store, &planner, ITEMS).await;
        run_on(&t.store, &planner, "2026-11-09").await;
        let task = all_tasks(&t.store)
            .await
            .into_iter()
            .find(|x| x.account == "C1")
            .expect("C1's task");

        // Refused: a promise without its date, a date in the past, a date
        // with another outcome, a sentence. Nothing changes.
        let promise = |date: Option<&str>| Completion {
            outcome: "promise".into(),
            note: Some("CFO confirmed".into()),
            promise_date: date.map(day),
        };
        let config = &planner.config;
        let today = stamp("2026-11-10");
        for (completion, why) in [
            (promise(None), "needs the promised payment date"),
            (promise(Some("2026-11-01")), "before today"),
            (
                Completion {
                    outcome: "reached".into(),
                    note: None,
                    promise_date: Some(day("2026-12-01")),
                },
                "goes with the outcome promise",
            ),
            (
                Completion {
                    outcome: "he will pay".into(),
                    note: None,
                    promise_date: None,
                },
                "is not a word",
            ),
        ] {
            let e = tasks::done(&t.store, config, task.id, &completion, &today)
                .await
                .expect_err("refused");
            assert!(e.to_string().contains(why), "{}: {e}", t.name);
        }
        assert_eq!(all_tasks(&t.store).await[0].state, "open", "{}", t.name);

        let done = tasks::done(
            &t.store,
            config,
            task.id,
            &promise(Some("2026-11-30")),
            &today,
        )
        .await
        .expect("done");
        assert_eq!(done.state, "done", "{}", t.name);
        assert_eq!(done.outcome.as_deref(), Some("promise"));
        assert_eq!(done.outcome_note.as_deref(), Some("CFO confirmed"));
        assert_eq!(done.promise_date.as_deref(), Some("2026-11-30"));
        assert_eq!(done.closed_by.as_deref(), Some("ui:ann@acme.example"));

        // Once only.
        let e = tasks::done(
            &t.store,
            config,
            task.id,
            &promise(Some("2026-11-30")),
            &today,
        )
        .await
        .expect_err("done already");
        assert!(matches!(e, TaskError::NotOpen { .. }), "{}: {e}", t.name);
        let reached = Completion {
            outcome: "reached".into(),
            note: None,
            promise_date: None,
        };
        assert!(matches!(
            tasks::done(&t.store, config, 999, &reached, &today).await,
            Err(TaskError::Unknown(999))
        ));

        // The items have the status, with the history naming who.
        let accounts = run::load_accounts(&t.store, &planner, vec!["C1".into()])
            .await
            .expect("loaded");
        for item in &accounts[0].items {
            assert_eq!(item.status.as_deref(), Some("promise"), "{}", t.name);
            assert_eq!(item.promise_date, Some(day("2026-11-30")), "{}", t.name);
        }
        let plan = planner.plan_account(&accounts[0], day("2026-11-29"));
        assert!(
            plan.action.is_none(),
            "{}: the promise suspends the items: {:?}",
            t.name,
            plan.action
        );
        let mut tx = t.store.begin().await.expect("tx");
        let history = relance_engine::store::history::history_of(&mut tx, "C1")
            .await
            .expect("history");
        tx.rollback().await.expect("rollback");
        let kinds: Vec<(&str, &str)> = history
            .iter()
            .map(|h| (h.kind.as_str(), h.origin.as_str()))
            .collect();
        assert!(
            kinds.contains(&("task_done", "ui:ann@acme.example")),
            "{}: {kinds:?}",
            t.name
        );
        assert_eq!(
            kinds
                .iter()
                .filter(|k| **k == ("status_set", "ui:ann@acme.example"))
                .count(),
            2,
            "{}: {kinds:?}",
            t.name
        );
    }
}

#[tokio::test]
async fn a_review_steps_task_opens_when_approved_and_a_paid_accounts_task_is_cancelled() {
    let planner = planner_of(CONFIG);
    for t in both().await {
        seeded(&t.store, &planner, ITEMS).await;
        let outcome = run_on(&t.store, &planner, "2026-12-01").await;
        let review: Vec<i64> = outcome
            .recorded
            .iter()
            .filter(|r| r.state == "waiting_review")
            .map(|r| r.id)
            .collect();
        assert_eq!(review.len(), 2, "{}: {:?}", t.name, outcome.recorded);
        assert!(
            all_tasks(&t.store).await.is_empty(),
            "{}: waiting for review",
            t.name
        );
        approve::approve(&t.store, &review[..1], &stamp("2026-12-02"))
            .await
            .expect("approved");
        let opened = all_tasks(&t.store).await;
        assert_eq!(opened.len(), 1, "{}", t.name);
        assert_eq!(opened[0].kind, "check", "{}", t.name);
        assert_eq!(opened[0].due_on, "2026-12-02", "{}", t.name);
        approve::reject(&t.store, &review[1..], "not now", &stamp("2026-12-02"))
            .await
            .expect("rejected");
        assert_eq!(all_tasks(&t.store).await.len(), 1, "{}", t.name);

        // Everything of that account is paid: the next run cancels its task.
        let account = &opened[0].account;
        let paid: String = ITEMS
            .lines()
            .skip(1)
            .filter(|l| l.starts_with(account.as_str()))
            .map(|l| format!("{l},0\n"))
            .collect();
        let (_dir, paths) = files(&[(
            "items.csv",
            format!("customer,reference,type,due_date,amount,remaining\n{paid}").as_bytes(),
        )]);
        import::import(&t.store, &planner.config, &paths, &import_options())
            .await
            .expect("imported");
        let outcome = run_on(&t.store, &planner, "2026-12-03").await;
        assert_eq!(outcome.tasks_cancelled, vec![opened[0].id], "{}", t.name);
        let after = all_tasks(&t.store).await;
        assert_eq!(after[0].state, "cancelled", "{}", t.name);
        assert_eq!(after[0].closed_by.as_deref(), Some("run:test"));
    }
}
