//! Internal notifications against a real SMTP sink, on both backends: a run
//! on the shipped example (its configuration and `relance gen`'s data, as
//! `relance demo` uses them) sends each colleague one digest of their tasks,
//! reviews and alerts, and each high alert at once; nothing twice across
//! reruns and a dead worker's lease.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use relance_engine::planner::Planner;
use relance_engine::run::{self, RunOutcome, Selection, When};
use relance_engine::store::notices::{self, NewNotice};
use relance_engine::store::{Store, tasks as task_store};
use relance_engine::synthetic::{self, GenOptions};
use relance_test_support::Sink;
use relance_test_support::store as store_support;
use relance_worker::compose::message_id;
use relance_worker::deliver::{Delivery, Options, Retry};
use relance_worker::mailer::Mailer;
use relance_worker::render::Composer;

use crate::support::{self, at, run_date};

/// The example configuration (no send window) compiled, with its composer.
fn example() -> (tempfile::TempDir, Arc<Planner>, Arc<Composer>) {
    let (dir, planner) = support::config(support::no_window);
    let report = relance_engine::config::load(dir.path()).expect("the configuration loads");
    let templates = relance_engine::config::templates(&report.sources, &report.checked.config)
        .expect("the templates load");
    let composer = Composer::new(planner.clone(), templates).expect("a composer");
    (dir, planner, Arc::new(composer))
}

fn delivery(
    store: &Store,
    planner: &Arc<Planner>,
    composer: &Arc<Composer>,
    sink: &Sink,
) -> Delivery {
    Delivery {
        shared: relance_worker::deliver::Shared::default(),
        store: store.clone(),
        planner: planner.clone(),
        composer: composer.clone(),
        mailer: Mailer::smtp(&sink.url(), 4).expect("a mailer"),
        options: Options {
            outbox: std::env::temp_dir(),
            retry: Retry {
                tries: 3,
                first: Duration::from_secs(1),
            },
            lease: Duration::from_secs(60),
            batch: 64,
            windows: true,
            worker: "test".into(),
            origin: "test".into(),
        },
    }
}

/// Imports the example data `relance gen` makes for the run date.
async fn example_data(store: &Store, planner: &Planner) {
    let dir = tempfile::tempdir().expect("a temp dir");
    synthetic::generate(
        dir.path(),
        &GenOptions {
            customers: 250,
            items: 1250,
            seed: 1,
            today: run_date(),
        },
    )
    .expect("the example data");
    support::import(
        store,
        planner,
        &[dir.path().to_path_buf()],
        "2026-11-09T07:00:00Z",
    )
    .await;
}

async fn run_at(store: &Store, planner: &Planner, hm: &str) -> RunOutcome {
    run::run(
        store,
        planner,
        When::Date(run_date()),
        &Selection::all(planner),
        at(hm),
        "test-run",
    )
    .await
    .expect("the run")
}

/// The internal messages the sink received, oldest file name first.
fn internal(sink: &Sink) -> Vec<BTreeMap<String, String>> {
    sink.messages()
        .into_iter()
        .filter(|m| m.contains_key("x-relance-internal"))
        .collect()
}

fn digests_by_colleague(sink: &Sink) -> BTreeMap<String, Vec<BTreeMap<String, String>>> {
    let mut by: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for m in internal(sink) {
        if m["subject"].starts_with("Daily digest") {
            by.entry(m["to"].clone()).or_default().push(m);
        }
    }
    by
}

#[tokio::test]
async fn each_colleague_gets_one_digest_of_their_tasks_reviews_and_alerts_and_high_alerts_at_once()
{
    let (_cfg, planner, composer) = example();
    for ts in store_support::both().await {
        let Some(sink) = Sink::start() else { return };
        let store = &ts.store;
        example_data(store, &planner).await;
        let outcome = run_at(store, &planner, "07:30").await;
        assert!(outcome.notices > 0, "{}: no notice", ts.name);
        assert!(
            outcome.digests > 1,
            "{}: {} digests",
            ts.name,
            outcome.digests
        );
        let high: Vec<_> = outcome
            .raised_alerts
            .iter()
            .filter(|a| a.level == "high")
            .collect();
        assert!(
            !high.is_empty(),
            "{}: the example data raises high alerts",
            ts.name
        );
        assert!(outcome.immediate >= 1, "{}: {outcome:?}", ts.name);

        let d = delivery(store, &planner, &composer, &sink);
        let report = d.deliver_due(at("09:00")).await.expect("delivery");
        assert_eq!(
            report.internal,
            outcome.digests + outcome.immediate,
            "{}: {report:?}",
            ts.name
        );
        assert_eq!(report.internal_failed, 0, "{}", ts.name);

        // One digest per colleague, counts in the subject, links to accounts.
        let digests = digests_by_colleague(&sink);
        assert_eq!(digests.len(), outcome.digests, "{}", ts.name);
        for (colleague, list) in &digests {
            assert_eq!(list.len(), 1, "{}: {colleague} got {}", ts.name, list.len());
            let m = &list[0];
            assert!(m["from"].contains("<ar@acme.example>"), "{m:?}");
            assert!(m["message-id"].starts_with("<relance."), "{m:?}");
            assert!(
                m["body"].contains("https://relance.acme.example/ui/accounts/"),
                "{}: {m:?}",
                ts.name
            );
        }
        // Every task opened now is in its assignee's digest, with its account's link.
        let opened = relance_engine::tasks::list(store, &task_store::TaskFilter::default())
            .await
            .expect("tasks");
        assert!(!opened.is_empty(), "{}: the example opens tasks", ts.name);
        for task in opened
            .iter()
            .filter(|t| outcome.tasks_opened.contains(&t.id))
        {
            let Some(assignee) = &task.assignee else {
                continue;
            };
            let digest = &digests[assignee][0];
            let link = format!("https://relance.acme.example/ui/accounts/{}", task.account);
            assert!(
                digest["body"].contains(&link),
                "{}: {link} not in {digest:?}",
                ts.name
            );
            assert!(digest["body"].contains("New tasks ("), "{digest:?}");
        }
        // Reviews and alerts reach someone's digest.
        let bodies: String = digests.values().map(|l| l[0]["body"].as_str()).collect();
        if outcome.recorded.iter().any(|r| r.state == "waiting_review") {
            assert!(bodies.contains("Waiting for your review ("), "{}", ts.name);
        }
        assert!(bodies.contains("Alerts raised ("), "{}", ts.name);

        // Each high alert arrived at once, as an email of its own.
        let immediate: Vec<_> = internal(&sink)
            .into_iter()
            .filter(|m| m["subject"].starts_with("Alert (high)"))
            .collect();
        assert_eq!(immediate.len(), outcome.immediate, "{}", ts.name);
        let broken = high
            .iter()
            .find(|a| a.alert == "broken_promise")
            .expect("a broken promise in the example data");
        assert!(
            immediate
                .iter()
                .any(|m| m["subject"].contains("Promise of payment not kept")
                    && m["subject"].contains(&broken.account)),
            "{}: {immediate:?}",
            ts.name
        );

        // Again the same day: nothing more.
        let again = run_at(store, &planner, "10:00").await;
        assert_eq!((again.notices, again.digests, again.immediate), (0, 0, 0));
        let report = d.deliver_due(at("10:05")).await.expect("delivery");
        assert_eq!(report.internal, 0, "{}: {report:?}", ts.name);
        assert_eq!(
            internal(&sink).len(),
            outcome.digests + outcome.immediate,
            "{}",
            ts.name
        );
        ts.cleanup().await;
    }
}

fn notice(colleague: &str, subject: &str, day: &str, immediate: bool) -> NewNotice {
    let entry = relance_templates::internal::Entry {
        kind: if immediate { "alert_raised" } else { "task" }.into(),
        account: "C0001".into(),
        name: "Customer 1".into(),
        link: "https://relance.acme.example/ui/accounts/C0001".into(),
        title: format!("about {subject}"),
        level: immediate.then(|| "high".to_string()),
        date: day.into(),
        ..Default::default()
    };
    NewNotice {
        colleague: colleague.into(),
        account: "C0001".into(),
        kind: entry.kind.clone(),
        subject: subject.into(),
        level: entry.level.clone(),
        entry: serde_json::to_string(&entry).expect("JSON"),
        immediate,
        created_on: day.into(),
    }
}

async fn record(store: &Store, list: &[NewNotice]) -> notices::Recorded {
    let mut tx = store.begin_write().await.expect("a transaction");
    let done = notices::record(&mut tx, list, "2026-11-09T07:00:00Z", "test")
        .await
        .expect("notices");
    tx.commit().await.expect("commit");
    done
}

#[tokio::test]
async fn a_message_a_dead_worker_claimed_is_sent_again_after_its_lease_with_the_same_message_id() {
    let (_cfg, planner, composer) = example();
    for ts in store_support::both().await {
        let Some(sink) = Sink::start() else { return };
        let store = &ts.store;
        let d = delivery(store, &planner, &composer, &sink);
        let julie = "julie@acme.example";
        assert_eq!(
            record(store, &[notice(julie, "t1", "2026-11-09", false)]).await,
            notices::Recorded {
                notices: 1,
                immediate: 0
            }
        );
        // The same notice again is no new notice.
        assert_eq!(
            record(store, &[notice(julie, "t1", "2026-11-09", false)]).await,
            notices::Recorded::default()
        );
        let day = "2026-11-09";
        assert_eq!(
            notices::open_digests(store, day, "x", "test")
                .await
                .expect("digests"),
            1
        );
        assert_eq!(
            notices::open_digests(store, day, "x", "test")
                .await
                .expect("digests"),
            0
        );

        // A worker claims the digest and dies (sent or not, nobody knows).
        let claimed = notices::claim(
            store,
            "dead",
            "2026-11-09T08:00:00.000Z",
            "2026-11-09T07:59:00.000Z",
            10,
        )
        .await
        .expect("claim");
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].notices.len(), 1);
        // A notice recorded after the claim waits for the next digest.
        record(store, &[notice(julie, "t2", "2026-11-09", false)]).await;

        // Within the lease: nothing is sent.
        let report = d.deliver_due(at("08:00")).await.expect("delivery");
        assert_eq!(report.internal, 0, "{}: {report:?}", ts.name);
        // After it: sent again, with its own Message-ID, once.
        let report = d.deliver_due(at("08:01")).await.expect("delivery");
        assert_eq!(report.internal, 1, "{}: {report:?}", ts.name);
        let report = d.deliver_due(at("08:05")).await.expect("delivery");
        assert_eq!(report.internal, 0, "{}: {report:?}", ts.name);
        let got = internal(&sink);
        assert_eq!(got.len(), 1);
        let expected = message_id(
            claimed[0].id,
            &format!("internal/digest/{julie}/{day}"),
            "ACME Credit Team <ar@acme.example>",
        );
        assert_eq!(got[0]["message-id"], expected);
        assert_eq!(got[0]["x-relance-internal"], claimed[0].id.to_string());
        assert!(got[0]["body"].contains("about t1"), "{:?}", got[0]);
        assert!(!got[0]["body"].contains("about t2"), "{:?}", got[0]);
        let rows = notices::messages(store).await.expect("messages");
        assert_eq!(rows[0].state, "sent");
        assert_eq!(rows[0].message_id.as_deref(), Some(expected.as_str()));

        // The next day's digest carries the late notice; a high alert goes at once.
        assert_eq!(
            record(store, &[notice(julie, "a1", "2026-11-10", true)]).await,
            notices::Recorded {
                notices: 1,
                immediate: 1
            }
        );
        assert_eq!(
            notices::open_digests(store, "2026-11-10", "x", "test")
                .await
                .expect("digests"),
            1
        );
        let report = d.deliver_due(at("09:00")).await.expect("delivery");
        assert_eq!(report.internal, 2, "{}: {report:?}", ts.name);
        let got = internal(&sink);
        let next = got
            .iter()
            .find(|m| m["subject"].starts_with("Daily digest 10 November 2026"))
            .expect("the next digest");
        assert!(next["body"].contains("about t2"), "{next:?}");
        assert!(!next["body"].contains("about t1"), "{next:?}");
        assert!(!next["body"].contains("about a1"), "{next:?}");
        let alert = got
            .iter()
            .find(|m| m["subject"].starts_with("Alert (high): about a1"))
            .expect("the alert");
        assert_eq!(alert["to"], julie);
        ts.cleanup().await;
    }
}

#[tokio::test]
async fn a_task_opened_by_approving_a_review_reaches_its_assignee_in_the_next_digest() {
    let (_cfg, planner, composer) = example();
    for ts in store_support::both().await {
        let Some(sink) = Sink::start() else { return };
        let store = &ts.store;
        example_data(store, &planner).await;
        let outcome = run_at(store, &planner, "07:30").await;
        let waiting: Vec<i64> = outcome
            .recorded
            .iter()
            .filter(|r| r.state == "waiting_review" && !r.action.tasks.is_empty())
            .map(|r| r.id)
            .collect();
        assert!(
            !waiting.is_empty(),
            "{}: the example has review steps with tasks",
            ts.name
        );
        let d = delivery(store, &planner, &composer, &sink);
        d.deliver_due(at("08:00")).await.expect("delivery");
        let before = digests_by_colleague(&sink);

        let stamp = relance_engine::status::ChangeStamp {
            today: run_date(),
            now: "2026-11-09T10:00:00Z".into(),
            origin: "test".into(),
        };
        relance_engine::approve::approve(store, &waiting, &stamp)
            .await
            .expect("approved");
        let opened: Vec<_> = relance_engine::tasks::list(store, &task_store::TaskFilter::default())
            .await
            .expect("tasks")
            .into_iter()
            .filter(|t| waiting.contains(&t.action) && t.assignee.is_some())
            .collect();
        assert!(!opened.is_empty(), "{}", ts.name);

        // Today's digests went out already: the tasks wait for tomorrow's.
        let next_day = run_date().succ_opt().expect("a date");
        run::run(
            store,
            &planner,
            When::Date(next_day),
            &Selection::all(&planner),
            "2026-11-10T07:30:00Z".parse().expect("an instant"),
            "test-run",
        )
        .await
        .expect("the run");
        d.deliver_due("2026-11-10T08:00:00Z".parse().expect("an instant"))
            .await
            .expect("delivery");
        let after = digests_by_colleague(&sink);
        for task in &opened {
            let assignee = task.assignee.as_deref().unwrap_or_default();
            let link = format!("https://relance.acme.example/ui/accounts/{}", task.account);
            let today = before.get(assignee).map(Vec::len).unwrap_or(0);
            let list = &after[assignee];
            assert_eq!(
                list.len(),
                today + 1,
                "{}: one more digest for {assignee}",
                ts.name
            );
            assert!(
                list.iter().any(
                    |m| m["subject"].starts_with("Daily digest 10 November 2026")
                        && m["body"].contains(&link)
                        && m["body"].contains(&task.kind)
                ),
                "{}: {link} in {list:?}",
                ts.name
            );
        }
        ts.cleanup().await;
    }
}
