//! `run` on both backends: it records each action once, however often and
//! however concurrently it is started.

use std::path::Path;

use crate::support::{self, both, import_options};
use chrono::{NaiveDate, TimeZone, Utc};
use relance_engine::import;
use relance_engine::planner::Planner;
use relance_engine::run::{self, Selection, When};
use relance_engine::store::Store;
use relance_engine::synthetic::{self, GenOptions};
use sqlx::AssertSqlSafe;

fn example_planner() -> Planner {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let report = relance_engine::config::load(&dir).expect("config/ loads");
    assert!(!report.has_errors());
    Planner::new(&report.checked.config, &report.sources).expect("compiles")
}

fn day(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

async fn seeded(store: &Store, customers: usize, items: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    synthetic::generate(
        dir.path(),
        &GenOptions {
            customers,
            items,
            seed: 7,
            today: day("2026-11-20"),
        },
    )
    .expect("generated");
    let planner = example_planner();
    import::import(
        store,
        &planner.config,
        &[dir.path().to_path_buf()],
        &import_options(),
    )
    .await
    .expect("imported");
    dir
}

async fn count(store: &Store, sql: &str) -> i64 {
    let mut tx = store.begin().await.expect("a transaction");
    let n = match &mut tx {
        relance_engine::store::Tx::Sqlite(c) => sqlx::query_scalar(AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut **c)
            .await
            .expect("counted"),
        relance_engine::store::Tx::Postgres(c) => {
            sqlx::query_scalar(AssertSqlSafe(sql.to_string()))
                .fetch_one(&mut **c)
                .await
                .expect("counted")
        }
    };
    tx.rollback().await.expect("rolled back");
    n
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 7, 0, 0).unwrap()
}

#[tokio::test]
async fn a_second_run_for_the_same_date_records_nothing_new() {
    let planner = example_planner();
    for t in both().await {
        let _data = seeded(&t.store, 60, 400).await;
        let when = When::Date(day("2026-11-20"));
        let first = run::run(
            &t.store,
            &planner,
            when,
            &Selection::all(&planner),
            now(),
            "test",
        )
        .await
        .expect("first run");
        assert!(
            first.recorded.len() > 10,
            "{}: the data gives actions ({} recorded)",
            t.name,
            first.recorded.len()
        );
        assert!(first.raised > 0, "{}: the data gives alerts", t.name);
        let actions = count(&t.store, "SELECT COUNT(*) FROM actions").await;
        let alerts = count(&t.store, "SELECT COUNT(*) FROM alerts").await;

        let second = run::run(
            &t.store,
            &planner,
            when,
            &Selection::all(&planner),
            now(),
            "test",
        )
        .await
        .expect("second run");
        assert!(
            second.recorded.is_empty(),
            "{}: {:?}",
            t.name,
            second.recorded
        );
        assert_eq!(
            second.raised, 0,
            "{}: open alerts are not raised again",
            t.name
        );
        assert_eq!(second.escalated, 0, "{}", t.name);
        assert_eq!(
            count(&t.store, "SELECT COUNT(*) FROM actions").await,
            actions
        );
        assert_eq!(count(&t.store, "SELECT COUNT(*) FROM alerts").await, alerts);

        // The plan after the run agrees: nothing left to do today.
        let plans = run::plan(&t.store, &planner, when, &Selection::all(&planner))
            .await
            .expect("planned");
        assert!(plans.iter().all(|p| p.action.is_none()), "{}", t.name);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn two_runs_at_the_same_time_record_each_action_once() {
    let planner = example_planner();
    for t in both().await {
        let _data = seeded(&t.store, 300, 2000).await;
        let when = When::Date(day("2026-11-20"));
        let expected = run::plan(&t.store, &planner, when, &Selection::all(&planner))
            .await
            .expect("planned")
            .iter()
            .filter(|p| p.action.is_some())
            .count();
        assert!(
            expected > 50,
            "{}: the data gives actions ({expected})",
            t.name
        );

        let all = Selection::all(&planner);
        let (a, b) = tokio::join!(
            run::run(&t.store, &planner, when, &all, now(), "run:a"),
            run::run(&t.store, &planner, when, &all, now(), "run:b"),
        );
        let (a, b) = (a.expect("run a"), b.expect("run b"));
        assert_eq!(
            a.recorded.len() + b.recorded.len(),
            expected,
            "each action is recorded by exactly one of the runs"
        );
        assert_eq!(
            count(&t.store, "SELECT COUNT(*) FROM actions").await,
            expected as i64
        );
        assert_eq!(
            count(
                &t.store,
                "SELECT COUNT(*) FROM (SELECT account FROM actions GROUP BY account HAVING COUNT(*) > 1) x"
            )
            .await,
            0,
            "at most one action per account"
        );
        assert_eq!(
            count(
                &t.store,
                "SELECT COUNT(*) FROM (SELECT account, alert, item FROM alerts GROUP BY account, alert, item HAVING COUNT(*) > 1) x"
            )
            .await,
            0,
            "each alert raised once"
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn accounts_far_apart_get_their_own_date_from_one_instant() {
    let planner = example_planner();
    let (_dir, paths) = support::files(&[
        (
            "customers.csv",
            b"code,name,timezone\nP1,Paris,Europe/Paris\nN1,New York,America/New_York\n",
        ),
        ("contacts.csv", b"customer,email\nP1,ap@p.example\nN1,ap@n.example\n"),
        (
            "items.csv",
            // reminder_1 at due + 7d: 2026-03-30 (Mon) for both.
            b"customer,reference,type,due_date,amount\nP1,INV-1,invoice,2026-03-23,100\nN1,INV-2,invoice,2026-03-23,100\n",
        ),
    ]);
    for t in both().await {
        import::import(&t.store, &planner.config, &paths, &import_options())
            .await
            .expect("imported");
        let at = Utc.with_ymd_and_hms(2026, 3, 29, 23, 30, 0).unwrap();
        let plans = run::plan(&t.store, &planner, When::At(at), &Selection::all(&planner))
            .await
            .expect("planned");
        let of = |code: &str| plans.iter().find(|p| p.account == code);
        let paris = of("P1").expect("Paris has an action");
        assert_eq!(paris.date, day("2026-03-30"));
        assert_eq!(
            paris.action.as_ref().map(|a| a.step.as_str()),
            Some("reminder_1")
        );
        // In New York it is still Sunday the 29th: only the courtesy step is
        // reached there, and it is guarded against items already overdue.
        assert!(of("N1").is_none(), "New York has no action on the 29th");
        // Its reminder_1 comes on its own 30th.
        let later = Utc.with_ymd_and_hms(2026, 3, 30, 13, 0, 0).unwrap();
        let plans = run::plan(
            &t.store,
            &planner,
            When::At(later),
            &Selection::all(&planner),
        )
        .await
        .expect("planned");
        let ny = plans
            .iter()
            .find(|p| p.account == "N1")
            .expect("New York has an action");
        assert_eq!(ny.date, day("2026-03-30"));
        assert_eq!(
            ny.action.as_ref().map(|a| a.step.as_str()),
            Some("reminder_1")
        );
        t.cleanup().await;
    }
}
