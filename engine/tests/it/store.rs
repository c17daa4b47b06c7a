//! The store API the planner uses, on both backends: accounts and their
//! facts in pages, and actions recorded exactly once.

use crate::support::{self, both, example_config, files, import_options};
use relance_engine::import;
use relance_engine::planner::ItemKey;
use relance_engine::store::Store;
use relance_engine::store::actions::{self, NewAction};
use relance_engine::store::facts;

const CUSTOMERS: &[u8] = b"code,name,group_leader,currency\n\
L1,Leader,,EUR\n\
M2,Member two,L1,EUR\n\
M1,Member one,L1,USD\n\
S1,Alone,,EUR\n";
const COLLEAGUES: &[u8] =
    b"email,name,role\njulie@acme.example,Julie,collector\nmax@acme.example,Max,manager\n";
const CONTACTS: &[u8] = b"customer,email,role\nL1,ap@leader.example,billing\nM1,ap@member.example,billing\nS1,ap@alone.example,billing\n";
const ASSIGNMENTS: &[u8] = b"customer,colleague\nL1,julie@acme.example\nL1,max@acme.example\n";
const ITEMS: &[u8] = b"customer,reference,type,due_date,amount,remaining\n\
L1,INV-1,invoice,2026-10-01,100,100\n\
M1,INV-7,invoice,2026-09-01,50,50\n\
M2,CN-1,credit_note,2026-09-15,10,10\n\
M2,INV-9,invoice,2026-08-01,70,0\n\
S1,INV-2,invoice,2026-10-05,30,30\n";

async fn seeded(store: &Store) {
    let (_dir, paths) = files(&[
        ("customers.csv", CUSTOMERS),
        ("colleagues.csv", COLLEAGUES),
        ("contacts.csv", CONTACTS),
        ("assignments.csv", ASSIGNMENTS),
        ("items.csv", ITEMS),
    ]);
    import::import(store, &example_config(), &paths, &import_options())
        .await
        .expect("fixtures import");
}

fn action(step: &str, items: &[(&str, &str)]) -> NewAction {
    NewAction {
        account: "L1".into(),
        scenario: "standard".into(),
        step: step.into(),
        leader: ItemKey::new("M1", "INV-7"),
        run_date: "2026-11-20".into(),
        planned_for: "2026-11-18".into(),
        state: "queued".into(),
        items: items.iter().map(|(c, r)| ItemKey::new(*c, *r)).collect(),
        advance: items.iter().map(|(c, r)| ItemKey::new(*c, *r)).collect(),
        payload: "{}".into(),
    }
}

#[tokio::test]
async fn accounts_come_in_pages_without_their_members() {
    for t in both().await {
        seeded(&t.store).await;
        let mut tx = t.store.begin().await.expect("tx");
        let first = facts::account_codes(&mut tx, None, 1)
            .await
            .expect("a page");
        let second = facts::account_codes(&mut tx, first.last().map(String::as_str), 10)
            .await
            .expect("a page");
        assert_eq!(
            (first, second),
            (vec!["L1".to_string()], vec!["S1".to_string()]),
            "{}",
            t.name
        );
        tx.rollback().await.expect("rollback");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_grouped_account_has_its_members_items_and_its_leaders_people() {
    for t in both().await {
        seeded(&t.store).await;
        let mut tx = t.store.begin().await.expect("tx");
        let accounts = facts::accounts(&mut tx, &["L1".into(), "M1".into(), "S1".into()])
            .await
            .expect("facts");
        let codes: Vec<&str> = accounts.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["L1", "S1"], "{}: a member is no account", t.name);
        let l1 = &accounts[0];
        let customers: Vec<&str> = l1.customers.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(
            customers,
            ["L1", "M1", "M2"],
            "{}: leader first, then members by code",
            t.name
        );
        let items: Vec<(&str, &str)> = l1
            .items
            .iter()
            .map(|i| (i.customer.as_str(), i.reference.as_str()))
            .collect();
        assert_eq!(
            items,
            [("L1", "INV-1"), ("M1", "INV-7"), ("M2", "CN-1")],
            "{}: open items only",
            t.name
        );
        let contacts: Vec<&str> = l1.contacts.iter().map(|c| c.email.as_str()).collect();
        assert_eq!(
            contacts,
            ["ap@leader.example"],
            "{}: the leader's contacts",
            t.name
        );
        let roles: Vec<(&str, &str)> = l1
            .colleagues
            .iter()
            .map(|c| (c.role.as_str(), c.email.as_str()))
            .collect();
        assert_eq!(
            roles,
            [
                ("collector", "julie@acme.example"),
                ("manager", "max@acme.example")
            ],
            "{}",
            t.name
        );
        assert_eq!(l1.last_action, None);
        assert_eq!(accounts[1].items.len(), 1);
        tx.rollback().await.expect("rollback");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn an_action_is_recorded_once_and_moves_last_step_once() {
    for t in both().await {
        seeded(&t.store).await;
        let covered = [("M1", "INV-7"), ("L1", "INV-1")];
        let mut tx = t.store.begin().await.expect("tx");
        let ids = actions::record(
            &mut tx,
            &[action("reminder_1", &covered)],
            "2026-11-20T07:00:00Z",
            "run:1",
        )
        .await
        .expect("recorded");
        tx.commit().await.expect("commit");
        assert!(ids[0].is_some(), "{}", t.name);

        let mut tx = t.store.begin().await.expect("tx");
        let again = actions::record(
            &mut tx,
            &[
                action("reminder_1", &[("M1", "INV-7")]),
                action("reminder_2", &[("M1", "INV-7")]),
            ],
            "2026-11-20T08:00:00Z",
            "run:2",
        )
        .await
        .expect("recorded");
        tx.commit().await.expect("commit");
        assert_eq!(
            again[0], None,
            "{}: the same key is not recorded twice",
            t.name
        );
        assert!(again[1].is_some(), "{}: another step is", t.name);

        let mut tx = t.store.begin().await.expect("tx");
        let accounts = facts::accounts(&mut tx, &["L1".into()])
            .await
            .expect("facts");
        let steps: Vec<(&str, Vec<(String, String)>)> = accounts[0]
            .items
            .iter()
            .map(|i| (i.reference.as_str(), i.steps.clone()))
            .collect();
        assert_eq!(
            steps,
            vec![
                ("INV-1", vec![("standard".into(), "reminder_1".into())]),
                ("INV-7", vec![("standard".into(), "reminder_2".into())]),
                ("CN-1", vec![]),
            ],
            "{}",
            t.name
        );
        assert_eq!(
            accounts[0].last_action,
            Some(("2026-11-20".parse().expect("a date"), "reminder_2".into())),
            "{}",
            t.name
        );
        let history = relance_engine::store::history::history_of(&mut tx, "L1")
            .await
            .expect("history");
        assert_eq!(
            history
                .iter()
                .filter(|h| h.kind == "action_recorded")
                .count(),
            2,
            "{}",
            t.name
        );
        tx.rollback().await.expect("rollback");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn two_runs_at_the_same_time_record_an_action_once() {
    for t in both().await {
        seeded(&t.store).await;
        let run = |origin: &'static str| {
            let store = t.store.clone();
            async move {
                let mut tx = store.begin().await.expect("tx");
                let ids = actions::record(
                    &mut tx,
                    &[action("reminder_1", &[("M1", "INV-7")])],
                    "2026-11-20T07:00:00Z",
                    origin,
                )
                .await
                .expect("recorded");
                tx.commit().await.expect("commit");
                ids[0]
            }
        };
        let (a, b) = tokio::join!(tokio::spawn(run("run:a")), tokio::spawn(run("run:b")));
        let (a, b) = (a.expect("task a"), b.expect("task b"));
        assert!(
            a.is_some() != b.is_some(),
            "{}: exactly one run recorded it ({a:?}, {b:?})",
            t.name
        );
        let mut tx = t.store.begin().await.expect("tx");
        let history = relance_engine::store::history::history_of(&mut tx, "L1")
            .await
            .expect("history");
        assert_eq!(
            history
                .iter()
                .filter(|h| h.kind == "action_recorded")
                .count(),
            1,
            "{}",
            t.name
        );
        tx.rollback().await.expect("rollback");
        t.cleanup().await;
    }
}

/// The planner reads pages of a SQLite store from the file, without sqlx;
/// `run` and the API read through the pool. Both must see the same accounts.
#[tokio::test]
async fn the_file_reader_reads_what_the_pool_reads() {
    use relance_engine::store::Tx;
    use relance_engine::store::facts::{Codes, FileReader, ItemColumns};

    let t = support::sqlite().await;
    seeded(&t.store).await;
    let mut tx = t.store.begin().await.expect("tx");
    actions::record(
        &mut tx,
        &[action("reminder_1", &[("M1", "INV-7"), ("L1", "INV-1")])],
        "2026-11-20T07:00:00Z",
        "run:1",
    )
    .await
    .expect("recorded");
    let Tx::Sqlite(c) = &mut tx else {
        panic!("a SQLite store")
    };
    for sql in [
        "INSERT INTO alerts (alert, account, item, level, raised_on, origin) VALUES \
         ('broken_promise', 'L1', 'M1/INV-7', 'high', '2026-11-19', 'run:0'), \
         ('old_items', 'S1', '', 'low', '2026-11-19', 'run:0')",
        "INSERT INTO escalations (escalation, account, fired_on, switch, origin) VALUES \
         ('big_exposure', 'L1', '2026-11-19', 'key_accounts', 'run:0')",
        "INSERT INTO switches (account, scenario, effective_on, cause, origin) VALUES \
         ('L1', 'key_accounts', '2026-11-19', 'escalation big_exposure', 'run:0')",
    ] {
        sqlx::query(sql).execute(&mut **c).await.expect(sql);
    }
    tx.commit().await.expect("commit");

    let path = t.store.sqlite_file().expect("the store's file");
    let mut reader = FileReader::open(&path).expect("the file opens");
    // A page of L1 alone leaves its members (M1, M2) outside its range of codes.
    for codes in [vec!["L1"], vec!["S1"], vec!["L1", "S1"], vec!["M1", "S1"]] {
        let codes: Vec<String> = codes.into_iter().map(String::from).collect();
        let mut tx = t.store.begin().await.expect("tx");
        let listed = facts::accounts_in(&mut tx, &codes, Codes::Listed, ItemColumns::ALL)
            .await
            .expect("listed through the pool");
        let page = facts::accounts_in(&mut tx, &codes, Codes::Page, ItemColumns::ALL)
            .await
            .expect("a page through the pool");
        tx.rollback().await.expect("rollback");
        let from_file = reader
            .accounts(&codes, Codes::Listed, ItemColumns::ALL)
            .expect("listed from the file");
        assert_eq!(from_file, listed, "{codes:?} listed");
        if codes[0] != "M1" {
            let from_file = reader
                .accounts(&codes, Codes::Page, ItemColumns::ALL)
                .expect("a page from the file");
            assert_eq!(from_file, page, "{codes:?} as a page");
        }
    }

    let all = reader
        .accounts(&["L1".into(), "S1".into()], Codes::Page, ItemColumns::ALL)
        .expect("read");
    let l1 = &all[0];
    assert_eq!(l1.items.len(), 3, "the members' items come with the page");
    assert_eq!(
        l1.items.iter().map(|i| i.steps.len()).sum::<usize>(),
        2,
        "the covered items' steps"
    );
    assert!(l1.last_action.is_some());
    assert_eq!(l1.open_alerts.len(), 1);
    assert_eq!(l1.escalations, ["big_exposure"]);
    assert_eq!(l1.switches.len(), 1);
    assert_eq!(all[1].open_alerts.len(), 1);
    t.cleanup().await;
}

/// A date that is no date (a database edited by hand) is reported with its
/// item and column, by both readers.
#[tokio::test]
async fn a_stored_date_that_is_no_date_names_its_item_and_column() {
    use relance_engine::store::Tx;
    use relance_engine::store::facts::{Codes, FileReader, ItemColumns};

    let t = support::sqlite().await;
    seeded(&t.store).await;
    let mut tx = t.store.begin().await.expect("tx");
    let Tx::Sqlite(c) = &mut tx else {
        panic!("a SQLite store")
    };
    sqlx::query("UPDATE items SET due_date = '2026-13-01' WHERE reference = 'INV-7'")
        .execute(&mut **c)
        .await
        .expect("update");
    tx.commit().await.expect("commit");

    let codes = vec!["L1".to_string()];
    let expected = "item M1/INV-7: due_date \"2026-13-01\" is not a date";
    let mut tx = t.store.begin().await.expect("tx");
    let pool = facts::accounts_in(&mut tx, &codes, Codes::Page, ItemColumns::ALL)
        .await
        .expect_err("no date");
    tx.rollback().await.expect("rollback");
    assert!(pool.to_string().contains(expected), "{pool}");
    let path = t.store.sqlite_file().expect("the store's file");
    let file = FileReader::open(&path)
        .expect("the file opens")
        .accounts(&codes, Codes::Page, ItemColumns::ALL)
        .expect_err("no date");
    assert!(file.to_string().contains(expected), "{file}");
    t.cleanup().await;
}

/// The templates' `previous`: what went out to an account, oldest first;
/// tasks, actions not sent, and emails without recipients are not messages.
#[tokio::test]
async fn the_emails_and_letters_sent_to_an_account_are_read_oldest_first() {
    for t in both().await {
        seeded(&t.store).await;
        let sent = |step: &str, run_date: &str, state: &str, payload: &str| NewAction {
            run_date: run_date.into(),
            state: state.into(),
            payload: payload.into(),
            // A run records one action per account: these move no step.
            advance: Vec::new(),
            ..action(step, &[("M1", "INV-7")])
        };
        let email = r#"{"kinds":["email"],"to":["ap@leader.example"]}"#;
        let mut tx = t.store.begin().await.expect("tx");
        actions::record(
            &mut tx,
            &[
                sent("reminder_2", "2026-11-20", "sent", email),
                sent("reminder_1", "2026-11-06", "sent", email),
                sent("call", "2026-11-10", "sent", r#"{"kinds":["task"]}"#),
                sent("notice", "2026-11-25", "queued", r#"{"kinds":["letter"]}"#),
                sent(
                    "final",
                    "2026-11-12",
                    "sent",
                    r#"{"kinds":["letter","email"],"to":[]}"#,
                ),
                NewAction {
                    account: "S1".into(),
                    leader: ItemKey::new("S1", "INV-2"),
                    ..sent("reminder_1", "2026-11-07", "sent", email)
                },
            ],
            "2026-11-25T08:00:00Z",
            "run:1",
        )
        .await
        .expect("recorded");
        let read = actions::sent(&mut tx, &["L1".into(), "S1".into(), "X9".into()])
            .await
            .expect("read");
        tx.rollback().await.expect("rollback");
        let of = |account: &str| -> Vec<(String, String, Vec<String>)> {
            read.get(account)
                .map(|list| {
                    list.iter()
                        .map(|s| (s.step.clone(), s.run_date.clone(), s.kinds.clone()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let kinds = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            of("L1"),
            vec![
                ("reminder_1".into(), "2026-11-06".into(), kinds(&["email"])),
                ("final".into(), "2026-11-12".into(), kinds(&["letter"])),
                ("reminder_2".into(), "2026-11-20".into(), kinds(&["email"])),
            ],
            "{}",
            t.name
        );
        assert_eq!(
            of("S1"),
            vec![("reminder_1".into(), "2026-11-07".into(), kinds(&["email"]))],
            "{}",
            t.name
        );
        assert!(of("X9").is_empty(), "{}", t.name);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_claim_takes_the_first_due_actions_of_every_state_in_id_order() {
    // (state, next attempt, claimed at), in id order.
    let rows: &[(&str, Option<&str>, Option<&str>)] = &[
        ("sent", None, None),
        ("queued", None, None), // 2: due
        ("waiting_review", None, None),
        ("queued", Some("2026-11-20T09:00:00Z"), None), // 4: not yet
        ("waiting_window", Some("2026-11-20T07:00:00Z"), None), // 5: due
        ("sending", None, Some("2026-11-20T07:50:00Z")), // 6: lease running
        ("sending", None, Some("2026-11-20T06:00:00Z")), // 7: stale
        ("waiting_window", Some("2026-11-21T07:00:00Z"), None), // 8: not yet
        ("queued", Some("2026-11-20T07:59:00Z"), None), // 9: due
        ("failed", None, None),
        ("queued", None, None), // 11: due
    ];
    for t in both().await {
        let mut tx = t.store.begin().await.expect("a transaction");
        let pg = tx.backend() == relance_engine::store::Backend::Postgres;
        let sql = if pg {
            "INSERT INTO actions (account, scenario, step, leader, run_date, planned_for, state, \
             items, created_at, origin, next_attempt_at, claimed_at) \
             VALUES ('A', 's', $1, 'L', '2026-11-20', '2026-11-20', $2, '[]', 'now', 'test', $3, $4)"
        } else {
            "INSERT INTO actions (account, scenario, step, leader, run_date, planned_for, state, \
             items, created_at, origin, next_attempt_at, claimed_at) \
             VALUES ('A', 's', ?, 'L', '2026-11-20', '2026-11-20', ?, '[]', 'now', 'test', ?, ?)"
        };
        // A fresh store numbers them from 1, in this order.
        for (i, (state, next, claimed)) in rows.iter().enumerate() {
            relance_engine::on_tx!(&mut tx, c => sqlx::query(sql)
                .bind(format!("step{}", i + 1))
                .bind(*state)
                .bind(*next)
                .bind(*claimed)
                .execute(&mut **c)
                .await
                .map(|_| ())
                .expect("an action"));
        }
        tx.commit().await.expect("committed");
        let claim = |limit| {
            relance_engine::store::outbox::claim(
                &t.store,
                "w",
                "2026-11-20T08:00:00Z",
                "2026-11-20T07:00:00Z",
                limit,
            )
        };
        let ids = |c: Vec<relance_engine::store::outbox::Claimed>| -> Vec<i64> {
            c.iter().map(|a| a.id).collect()
        };
        assert_eq!(
            ids(claim(3).await.expect("claimed")),
            vec![2, 5, 7],
            "{}",
            t.name
        );
        assert_eq!(
            ids(claim(3).await.expect("claimed")),
            vec![9, 11],
            "{}",
            t.name
        );
        assert_eq!(
            ids(claim(3).await.expect("claimed")),
            Vec::<i64>::new(),
            "{}",
            t.name
        );
        t.cleanup().await;
    }
}
