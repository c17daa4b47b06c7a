//! Customer answers on both backends, with statuses and reasons named in
//! the settings: each rule of a promise, a dispute and a payment claim
//! refuses what it should (naming the field); a payment claim with
//! `paid_status` sets it with origin `customer`; each answer tells the
//! account's collector, never a sales colleague.

use chrono::NaiveDate;
use relance_engine::answers::{self, Answer, DisputeInput, PaidInput, PromiseInput};
use relance_engine::import;
use relance_engine::planner::Planner;
use relance_engine::planner::account::Account;
use relance_engine::status::ChangeStamp;
use relance_engine::store::{Store, facts, history, items, notices};

use crate::support::{both, files, import_options, planner_of};

const CONFIG: &str = r#"
settings {
  timezone "Europe/Paris"
  currency "EUR"
  default_scenario "standard"
  promise_limit 10d
  promise_status "promised"
  dispute_status "contested"
  paid_status "paid_claimed"
  dispute_reasons "Wrong price", "Late delivery"
}
status "promised" {
  suspends until item.promise_date
}
status "contested" {
  suspends
}
status "paid_claimed" {
  suspends
}
scenario "standard" {
  step "call" at due + 5d { task call assign collector }
}
"#;

const TODAY: &str = "2026-11-20";

fn day(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

async fn seeded(store: &Store, planner: &Planner) -> Account {
    let (_dir, paths) = files(&[
        (
            "colleagues.csv",
            b"email,name,role\nann@acme.example,Ann,collector\nsam@acme.example,Sam,sales\n",
        ),
        (
            "customers.csv",
            b"code,name,currency\nC1,One SA,EUR\nC2,Two SA,EUR\n",
        ),
        (
            "assignments.csv",
            b"customer,colleague\nC1,ann@acme.example\nC1,sam@acme.example\n",
        ),
        (
            "items.csv",
            b"customer,reference,type,due_date,amount,currency\n\
              C1,INV-1,invoice,2026-11-01,100.00,EUR\n\
              C1,INV-2,invoice,2026-11-02,50.00,EUR\n\
              C1,INV-3,invoice,2026-12-30,70.00,EUR\n\
              C2,INV-9,invoice,2026-11-01,70.00,EUR\n",
        ),
    ]);
    import::import(store, &planner.config, &paths, &import_options())
        .await
        .expect("imported");
    let mut tx = store.begin().await.expect("tx");
    let f = facts::accounts(&mut tx, &["C1".to_string()])
        .await
        .expect("facts");
    tx.rollback().await.expect("rollback");
    Account::from_facts(f.into_iter().next().expect("C1"))
}

fn promise(date: &str, amount: &str, items: &[&str]) -> PromiseInput {
    PromiseInput {
        date: date.into(),
        amount: amount.into(),
        items: items.iter().map(|s| s.to_string()).collect(),
        all: false,
    }
}

#[tokio::test]
async fn each_rule_of_an_answer_names_its_field() {
    let planner = planner_of(CONFIG);
    let config = &planner.config;
    let today = day(TODAY);
    for t in both().await {
        let account = seeded(&t.store, &planner).await;
        let refused = |r: Result<Answer, answers::Invalid>| {
            let e = r.expect_err("refused");
            (e.field, e.key)
        };
        let p = |i: PromiseInput| answers::validate_promise(config, &account, today, &i);
        assert_eq!(
            refused(p(promise(TODAY, "", &["C1/INV-1"]))),
            ("date", "date_not_future")
        );
        assert_eq!(
            refused(p(promise("2026-12-01", "", &["C1/INV-1"]))),
            ("date", "date_too_far"),
            "{}: 11 days past a 10-day limit",
            t.name
        );
        assert_eq!(
            refused(p(promise("2026-11-3x", "", &[]))),
            ("date", "date_bad")
        );
        assert_eq!(
            refused(p(promise("2026-11-30", "", &[]))),
            ("items", "items_missing")
        );
        assert_eq!(
            refused(p(promise("2026-11-30", "", &["C1/INV-3"]))),
            ("items", "item_unknown"),
            "not overdue"
        );
        assert_eq!(
            refused(p(promise("2026-11-30", "", &["C2/INV-9"]))),
            ("items", "item_unknown"),
            "another account's"
        );
        assert_eq!(
            refused(p(promise(
                "2026-11-30",
                "150.01",
                &["C1/INV-1", "C1/INV-2"]
            ))),
            ("amount", "amount_too_high")
        );
        assert_eq!(
            refused(p(promise("2026-11-30", "0", &["C1/INV-1"]))),
            ("amount", "amount_bad")
        );
        let ok = p(PromiseInput {
            all: true,
            ..promise("2026-11-30", "150", &[])
        })
        .expect("a promise");
        let Answer::Promise { items, amount, .. } = &ok else {
            panic!("{ok:?}")
        };
        assert_eq!(items.len(), 2, "every overdue item");
        assert_eq!(amount.map(|a| a.to_string()).as_deref(), Some("150.00 EUR"));

        let d = |item: &str, reason: &str, comment: &str| {
            answers::validate_dispute(
                config,
                &account,
                &DisputeInput {
                    item: item.into(),
                    reason: reason.into(),
                    comment: comment.into(),
                },
            )
        };
        assert_eq!(
            refused(d("C1/INV-1", "wrong_amount", "x")),
            ("reason", "reason_unknown"),
            "the configured reasons replace the built-in ones"
        );
        assert_eq!(
            refused(d("C1/INV-1", "Wrong price", "  ")),
            ("comment", "comment_missing")
        );
        let long = "x".repeat(2001);
        assert_eq!(
            refused(d("C1/INV-1", "Wrong price", &long)),
            ("comment", "comment_too_long")
        );
        assert!(
            d(
                "C1/INV-3",
                "Late delivery",
                "not yet due, disputed all the same"
            )
            .is_ok()
        );

        let paid = |date: &str, reference: &str| {
            answers::validate_paid(
                &account,
                today,
                &PaidInput {
                    date: date.into(),
                    reference: reference.into(),
                    items: vec!["C1/INV-2".into()],
                    all: false,
                },
            )
        };
        assert_eq!(refused(paid("2026-11-21", "R1")), ("date", "date_future"));
        assert_eq!(refused(paid(TODAY, "")), ("reference", "reference_missing"));
        assert!(paid(TODAY, "R1").is_ok());
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_payment_claim_sets_paid_status_and_tells_the_collector() {
    let planner = planner_of(CONFIG);
    let config = &planner.config;
    for t in both().await {
        let account = seeded(&t.store, &planner).await;
        let answer = answers::validate_paid(
            &account,
            day(TODAY),
            &PaidInput {
                date: "2026-11-18".into(),
                reference: "VIR-77".into(),
                items: vec![],
                all: true,
            },
        )
        .expect("valid");
        let stamp = ChangeStamp {
            today: day(TODAY),
            now: "2026-11-20T10:00:00Z".into(),
            origin: answers::ORIGIN.into(),
        };
        let applied = answers::apply(&t.store, config, &account, &answer, &stamp, "a1", None)
            .await
            .expect("recorded");
        assert_eq!(
            applied.told,
            vec!["ann@acme.example".to_string()],
            "{}",
            t.name
        );
        assert_eq!(applied.title, "Payment claimed on 2026-11-18, ref VIR-77");
        let mut tx = t.store.begin().await.expect("tx");
        for reference in ["INV-1", "INV-2"] {
            let s = items::item_status(&mut tx, "C1", reference)
                .await
                .expect("status")
                .expect("item");
            assert_eq!(s.status.as_deref(), Some("paid_claimed"), "{}", t.name);
            assert_eq!(
                s.comment.as_deref(),
                Some("Paid on 2026-11-18, reference VIR-77")
            );
        }
        let lines = history::history_of(&mut tx, "C1").await.expect("history");
        tx.rollback().await.expect("rollback");
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.kind == "status_set" && l.origin == "customer")
                .count(),
            2
        );
        notices::open_digests(&t.store, TODAY, "2026-11-20T11:00:00Z", "test")
            .await
            .expect("digests");
        let claimed = notices::claim(
            &t.store,
            "w",
            "2026-11-20T12:00:00Z",
            "2026-11-20T11:00:00Z",
            10,
        )
        .await
        .expect("claimed");
        let told: Vec<(String, String)> = claimed
            .iter()
            .flat_map(|m| {
                m.notices
                    .iter()
                    .map(|n| (m.colleague.clone(), n.kind.clone()))
            })
            .collect();
        assert_eq!(
            told,
            vec![(
                "ann@acme.example".to_string(),
                "customer_answer".to_string()
            )],
            "{}",
            t.name
        );
        t.cleanup().await;
    }
}
