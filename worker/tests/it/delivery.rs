//! Delivery against a real SMTP sink (tests/smtp_sink.py): headers as
//! planned, once, re-reading items before sending, retries, permanent
//! failures, send windows and the data freshness gate. Time is an argument:
//! retries are driven by passing later instants, never by sleeping.

use relance_test_support::pdf::pdftotext;
use std::sync::Arc;
use std::time::Duration;

use relance_engine::planner::Planner;
use relance_engine::run::{self, Selection, When};
use relance_engine::store::{Store, actions, history, jobs, outbox, reports};
use relance_test_support::store as store_support;
use relance_test_support::{Data, Sink};
use relance_worker::compose::PlainCompose;
use relance_worker::deliver::{Delivery, Options, Retry};
use relance_worker::mailer::Mailer;

use crate::support::{self, at, run_date};

/// A delivery over `store` to `mailer`, retrying 3 times 1 s then 2 s apart.
fn delivery(
    store: &Store,
    planner: &Arc<Planner>,
    mailer: Mailer,
    outbox: &std::path::Path,
) -> Delivery {
    Delivery {
        shared: relance_worker::deliver::Shared::default(),
        store: store.clone(),
        planner: planner.clone(),
        composer: Arc::new(PlainCompose::new(&planner.config.settings)),
        mailer,
        options: Options {
            outbox: outbox.to_path_buf(),
            retry: Retry {
                tries: 3,
                first: Duration::from_secs(1),
            },
            lease: Duration::from_secs(60),
            batch: 16,
            windows: true,
            worker: "test".into(),
            origin: "test".into(),
        },
    }
}

/// Imports `data` (dated 07:00 on the run date) and records the run date.
async fn recorded(store: &Store, planner: &Planner, data: &Data) -> Vec<i64> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let files = data.write(dir.path());
    support::import(store, planner, &files, "2026-11-09T07:00:00Z").await;
    run_once(store, planner).await
}

async fn run_once(store: &Store, planner: &Planner) -> Vec<i64> {
    let outcome = run::run(
        store,
        planner,
        When::Date(run_date()),
        &Selection::all(planner),
        at("07:30"),
        "test-run",
    )
    .await
    .expect("the run");
    outcome.recorded.iter().map(|r| r.id).collect()
}

async fn state(store: &Store, id: i64) -> String {
    outbox::states(store, &[id]).await.expect("states")[0]
        .1
        .clone()
}

async fn history_kinds(store: &Store, customer: &str, kind: &str) -> Vec<serde_json::Value> {
    let mut tx = store.begin().await.expect("a transaction");
    let events = history::history_of(&mut tx, customer)
        .await
        .expect("history");
    tx.rollback().await.expect("rollback");
    events
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| serde_json::from_str(&e.data).expect("JSON"))
        .collect()
}

/// The sink's messages: internal ones (to colleagues), then the customers'.
type Messages = Vec<std::collections::BTreeMap<String, String>>;
fn split(sink: &Sink) -> (Messages, Messages) {
    sink.messages()
        .into_iter()
        .partition(|m| m.contains_key("x-relance-internal"))
}

async fn open_alerts(store: &Store) -> Vec<(String, i64)> {
    reports::counts(store).await.expect("counts").alerts
}

#[tokio::test]
async fn each_email_action_is_one_message_with_the_planned_headers() {
    let Some(sink) = Sink::start() else { return };
    let (_cfg, planner) = support::config(|t| t.to_string());
    let ts = store_support::sqlite().await;
    let ids = recorded(&ts.store, &planner, &Data::default()).await;
    assert_eq!(ids.len(), 1);
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());

    let report = d.deliver_due(at("09:00")).await.expect("delivery");
    assert_eq!(report.sent, 1, "{report:?}");

    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["to"], "ap@c0001.example");
    assert_eq!(m["cc"], "julie@acme.example");
    assert_eq!(m["subject"], "reminder_1 for account C0001");
    assert_eq!(m["x-relance-action"], ids[0].to_string());
    assert!(
        m["message-id"].starts_with(&format!("<relance.{}.", ids[0])),
        "{m:?}"
    );
    assert!(
        m["from"].contains("ACME Credit Team") && m["from"].contains("<ar@acme.example>"),
        "the configured sender: {m:?}"
    );
    assert!(m["body"].contains("INV-0001-1"), "{m:?}");
    assert_eq!(state(&ts.store, ids[0]).await, "sent");

    let attempts = history_kinds(&ts.store, "C0001", "delivery_attempt").await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["outcome"], "sent");
    assert!(
        attempts[0]["reply"]
            .as_str()
            .unwrap_or("")
            .starts_with("250"),
        "{attempts:?}"
    );
    assert_eq!(attempts[0]["message_id"], m["message-id"].as_str());
    ts.cleanup().await;
}

#[tokio::test]
async fn a_second_run_and_delivery_send_nothing() {
    let Some(sink) = Sink::start() else { return };
    let (_cfg, planner) = support::config(|t| t.to_string());
    let ts = store_support::sqlite().await;
    recorded(
        &ts.store,
        &planner,
        &Data {
            customers: 3,
            ..Data::default()
        },
    )
    .await;
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());
    assert_eq!(d.deliver_due(at("09:00")).await.expect("delivery").sent, 3);

    assert!(run_once(&ts.store, &planner).await.is_empty());
    let again = d.deliver_due(at("09:05")).await.expect("delivery");
    assert_eq!(again.sent, 0, "{again:?}");
    assert_eq!(sink.count(), 3);
    ts.cleanup().await;
}

#[tokio::test]
async fn an_item_paid_since_planning_is_dropped_and_an_action_with_every_item_paid_is_cancelled() {
    let Some(sink) = Sink::start() else { return };
    let (_cfg, planner) = support::config(|t| t.to_string());
    let ts = store_support::sqlite().await;
    let data = Data {
        customers: 2,
        items: 2,
        ..Data::default()
    };
    let ids = recorded(&ts.store, &planner, &data).await;
    assert_eq!(ids.len(), 2);
    // After the run: C0001 paid one of its two items, C0002 both.
    let dir = tempfile::tempdir().expect("a temp dir");
    let items = dir.path().join("items.csv");
    std::fs::write(
        &items,
        "customer,reference,type,due_date,amount,remaining\n\
         C0001,INV-0001-1,invoice,2026-11-01,100.00,0\n\
         C0002,INV-0002-1,invoice,2026-11-01,100.00,0\n\
         C0002,INV-0002-2,invoice,2026-11-01,200.00,0\n",
    )
    .expect("items.csv");
    support::import(&ts.store, &planner, &[items], "2026-11-09T08:00:00Z").await;

    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());
    let report = d.deliver_due(at("09:00")).await.expect("delivery");
    assert_eq!((report.sent, report.cancelled), (1, 1), "{report:?}");

    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["to"], "ap@c0001.example");
    assert!(
        messages[0]["body"].contains("Items: INV-0001-2\n"),
        "{:?}",
        messages[0]
    );
    assert_eq!(state(&ts.store, ids[1]).await, "cancelled");
    let cancelled = history_kinds(&ts.store, "C0002", "delivery_attempt").await;
    assert_eq!(cancelled[0]["outcome"], "cancelled");
    assert!(
        cancelled[0]["reply"]
            .as_str()
            .unwrap_or("")
            .contains("paid"),
        "{cancelled:?}"
    );
    ts.cleanup().await;
}

#[tokio::test]
async fn an_unreachable_server_is_retried_with_backoff_then_the_action_fails() {
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let (_cfg, planner) = support::config(|t| t.to_string());
    let ts = store_support::sqlite().await;
    let ids = recorded(&ts.store, &planner, &Data::default()).await;
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp(&format!("smtp://127.0.0.1:{port}"), 1).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());
    let t0 = at("09:00");
    let secs = |s: i64| t0 + chrono::TimeDelta::seconds(s);

    assert_eq!(d.deliver_due(t0).await.expect("1st").retried, 1);
    assert_eq!(state(&ts.store, ids[0]).await, "queued");
    // Not due before its backoff (1 s) is over.
    let early = d.deliver_due(secs(0)).await.expect("early");
    assert_eq!((early.retried, early.failed), (0, 0));
    assert_eq!(d.deliver_due(secs(1)).await.expect("2nd").retried, 1);
    // The second retry waits twice as long.
    assert_eq!(d.deliver_due(secs(2)).await.expect("early").retried, 0);
    assert_eq!(d.deliver_due(secs(3)).await.expect("3rd").failed, 1);
    assert_eq!(state(&ts.store, ids[0]).await, "failed");

    let attempts = history_kinds(&ts.store, "C0001", "delivery_attempt").await;
    let outcomes: Vec<&str> = attempts
        .iter()
        .map(|a| a["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outcomes, ["retry", "retry", "failed"]);
    assert!(
        attempts
            .iter()
            .all(|a| !a["reply"].as_str().unwrap_or("").is_empty())
    );
    assert_eq!(
        open_alerts(&ts.store).await,
        [("delivery_failed".to_string(), 1)]
    );
    ts.cleanup().await;
}

#[tokio::test]
async fn a_rejected_recipient_fails_at_once_and_raises_delivery_failed() {
    let Some(sink) = Sink::start() else { return };
    let (_cfg, planner) = support::config(|t| t.to_string());
    let ts = store_support::sqlite().await;
    let data = Data {
        customers: 2,
        contact: |n| {
            if n == 1 {
                "reject@c0001.example".into()
            } else {
                format!("ap@c{n:04}.example")
            }
        },
        ..Data::default()
    };
    let ids = recorded(&ts.store, &planner, &data).await;
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());
    let report = d.deliver_due(at("09:00")).await.expect("delivery");
    assert_eq!(
        (report.sent, report.failed, report.retried),
        (1, 1, 0),
        "{report:?}"
    );
    assert_eq!(state(&ts.store, ids[0]).await, "failed");
    assert_eq!(state(&ts.store, ids[1]).await, "sent");
    let attempts = history_kinds(&ts.store, "C0001", "delivery_attempt").await;
    assert_eq!(attempts.len(), 1);
    assert!(
        attempts[0]["reply"].as_str().unwrap_or("").contains("550"),
        "{attempts:?}"
    );
    assert_eq!(
        open_alerts(&ts.store).await,
        [("delivery_failed".to_string(), 1)]
    );
    // A later run does not resolve it: the planner does not own it.
    run_once(&ts.store, &planner).await;
    assert_eq!(
        open_alerts(&ts.store).await,
        [("delivery_failed".to_string(), 1)]
    );
    ts.cleanup().await;
}

#[tokio::test]
async fn emails_wait_for_the_send_window_of_the_account() {
    let Some(sink) = Sink::start() else { return };
    // config/: send_window 08:30..18:00, Europe/Paris (UTC+1 in November).
    let (_cfg, planner) = support::config(|t| t.to_string());
    let ts = store_support::sqlite().await;
    let ids = recorded(&ts.store, &planner, &Data::default()).await;
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());

    let early = d.deliver_due(at("07:00")).await.expect("08:00 in Paris");
    assert_eq!((early.sent, early.waiting), (0, 1));
    assert_eq!(state(&ts.store, ids[0]).await, "waiting_window");
    assert_eq!(d.deliver_due(at("07:29")).await.expect("08:29").sent, 0);
    assert_eq!(d.deliver_due(at("07:30")).await.expect("08:30").sent, 1);
    assert_eq!(sink.count(), 1);
    ts.cleanup().await;
}

#[tokio::test]
async fn review_actions_wait_until_approved() {
    let Some(sink) = Sink::start() else { return };
    // Every account in the key_accounts scenario (mode review).
    let (_cfg, planner) = support::config(|t| {
        t.replace(
            "default_scenario \"standard\"",
            "default_scenario \"key_accounts\"",
        )
    });
    let ts = store_support::sqlite().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let files = Data::default().write(dir.path());
    // Due 2026-10-20: reminder_1 of key_accounts (due + 15d) is reached.
    let items = files
        .iter()
        .find(|p| p.ends_with("items.csv"))
        .expect("items");
    std::fs::write(
        items,
        "customer,reference,type,due_date,amount\nC0001,INV-1,invoice,2026-10-20,100.00\n",
    )
    .expect("items");
    support::import(&ts.store, &planner, &files, "2026-11-09T07:00:00Z").await;
    let ids = run_once(&ts.store, &planner).await;
    assert_eq!(state(&ts.store, ids[0]).await, "waiting_review");
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());
    assert_eq!(d.deliver_due(at("09:00")).await.expect("delivery").sent, 0);

    // `relance approve` turns it into `queued`.
    let mut tx = ts.store.begin().await.expect("tx");
    actions::set_states(&mut tx, "queued", &ids)
        .await
        .expect("approve");
    tx.commit().await.expect("commit");
    assert_eq!(d.deliver_due(at("09:01")).await.expect("delivery").sent, 1);
    // One email to the customer; the collector heard of the review in a digest.
    let (internal, customer): (Vec<_>, Vec<_>) = sink
        .messages()
        .into_iter()
        .partition(|m| m.contains_key("x-relance-internal"));
    assert_eq!(customer.len(), 1);
    assert_eq!(internal.len(), 1);
    assert_eq!(internal[0]["to"], "julie@acme.example");
    assert!(
        internal[0]["body"].contains("Waiting for your review (1)"),
        "{:?}",
        internal[0]
    );
    ts.cleanup().await;
}

#[tokio::test]
async fn stale_data_holds_sends_and_raises_stale_data_until_a_fresh_import() {
    let Some(sink) = Sink::start() else { return };
    let (_cfg, planner) =
        support::config(|t| t.replace("settings {", "settings {\n  max_data_age 36h"));
    assert_eq!(planner.config.settings.max_data_age_hours, Some(36));
    let ts = store_support::sqlite().await;
    // Imported 2026-11-09 02:00 UTC; 2026-11-10 16:00 is 38 h later.
    let dir = tempfile::tempdir().expect("a temp dir");
    let files = Data::default().write(dir.path());
    support::import(&ts.store, &planner, &files, "2026-11-09T02:00:00Z").await;
    let ids = run_once(&ts.store, &planner).await;
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());
    let late: chrono::DateTime<chrono::Utc> = "2026-11-10T16:00:00Z".parse().expect("an instant");
    let held = d.deliver_due(late).await.expect("delivery");
    assert!(
        held.held
            .as_deref()
            .unwrap_or("")
            .contains("max_data_age 36h"),
        "{held:?}"
    );
    assert_eq!(held.sent, 0);
    assert_eq!(state(&ts.store, ids[0]).await, "queued");
    assert_eq!(
        open_alerts(&ts.store).await,
        [("stale_data".to_string(), 1)]
    );

    let dir = tempfile::tempdir().expect("a temp dir");
    let files = Data::default().write(dir.path());
    support::import(&ts.store, &planner, &files, "2026-11-10T15:30:00Z").await;
    let fresh = d.deliver_due(late).await.expect("delivery");
    assert_eq!((fresh.sent, fresh.held.clone()), (1, None), "{fresh:?}");
    assert!(open_alerts(&ts.store).await.is_empty());
    ts.cleanup().await;
}

#[tokio::test]
async fn the_file_mailer_writes_whole_eml_files_and_letters_as_html_and_pdf() {
    let (_cfg, planner) = support::config(|t| t.to_string());
    let ts = store_support::sqlite().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let files = Data::default().write(dir.path());
    // Due 2026-09-01: the notice step (letter) is reached on 2026-11-09.
    let items = files
        .iter()
        .find(|p| p.ends_with("items.csv"))
        .expect("items");
    std::fs::write(items, "customer,reference,type,due_date,amount\nC0001,INV-1,invoice,2026-09-20,900.00\nC0001,INV-2,invoice,2026-11-01,10.00\n").expect("items");
    support::import(&ts.store, &planner, &files, "2026-11-09T07:00:00Z").await;
    let ids = run_once(&ts.store, &planner).await;
    assert_eq!(ids.len(), 1);
    let outbox = tempfile::tempdir().expect("a temp dir");
    let d = delivery(&ts.store, &planner, Mailer::File, outbox.path());
    let report = d.deliver_due(at("03:00")).await.expect("delivery");
    assert_eq!(report.letters, 1, "{report:?}");
    let names: Vec<String> = std::fs::read_dir(outbox.path())
        .expect("outbox")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(
        names,
        [
            format!("{:06}-C0001-notice.html", ids[0]),
            format!("{:06}-C0001-notice.pdf", ids[0])
        ]
    );
    let pdf = std::fs::read(outbox.path().join(&names[1])).expect("the letter PDF");
    if let Some(text) = pdftotext(&pdf) {
        assert!(text.contains("C0001") && text.contains("INV-1"), "{text}");
    }
    ts.cleanup().await;
}

#[tokio::test]
async fn a_daily_run_records_the_accounts_of_its_timezone_only() {
    let (_cfg, planner) = support::config(|t| t.to_string());
    let ts = store_support::sqlite().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let files = Data {
        customers: 2,
        ..Data::default()
    }
    .write(dir.path());
    let customers = files
        .iter()
        .find(|p| p.ends_with("customers.csv"))
        .expect("customers");
    std::fs::write(
        customers,
        "code,name,timezone\nC0001,Customer 1,Europe/Paris\nC0002,Customer 2,America/New_York\n",
    )
    .expect("customers.csv");
    support::import(&ts.store, &planner, &files, "2026-11-09T07:00:00Z").await;
    let outbox = tempfile::tempdir().expect("a temp dir");
    let d = delivery(&ts.store, &planner, Mailer::None, outbox.path());

    let zones = relance_worker::jobs::timezones(&d)
        .await
        .expect("timezones");
    assert_eq!(
        zones,
        [chrono_tz::Europe::Paris, chrono_tz::America::New_York]
    );
    // 07:00 in Paris on 2026-11-09 is 06:00 UTC (00:00 in New York).
    assert_eq!(day(&d, "Europe/Paris", at("06:00")).await, ["C0001"]);
    // 07:00 in New York is 12:00 UTC.
    assert_eq!(day(&d, "America/New_York", at("12:00")).await, ["C0002"]);
    // Again: the day's run exists, every shard done, nothing runs.
    let again = relance_worker::jobs::fan_out(&d, "Europe/Paris", at("06:05"), 100_000)
        .await
        .expect("again");
    assert!(!again.created);
    assert!(again.pending.is_empty());
    assert!(matches!(
        relance_worker::jobs::fan_out(&d, "Mars/Olympus", at("06:00"), 100_000).await,
        Err(relance_worker::jobs::JobError::Permanent(_))
    ));
    ts.cleanup().await;
}

#[tokio::test]
async fn finished_jobs_are_vacuumed_on_both_backends() {
    let mut stores = vec![store_support::sqlite().await];
    stores.extend(store_support::postgres().await);
    for ts in stores {
        if let Some(pool) = ts.store.sqlite_pool() {
            apalis_sqlite::SqliteStorage::<()>::migrations()
                .run(pool)
                .await
                .expect("the queue's schema");
        }
        if let Some(pool) = ts.store.postgres_pool() {
            apalis_postgres::PostgresStorage::<()>::migrations()
                .run(pool)
                .await
                .expect("the queue's schema");
        }
        let now = chrono::Utc::now().timestamp();
        let n = jobs::vacuum_jobs(&ts.store, now)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", ts.name));
        assert_eq!(n, 0, "{}", ts.name);
        ts.cleanup().await;
    }
}

/// A configuration of its own (the shipped one changes with the product):
/// two letter steps, a suspending and an excluding status.
const LETTERS: &str = r#"settings {
  company          "ACME Industries SAS"
  timezone         "Europe/Paris"
  currency         "EUR"
  language         "en"
  default_scenario "standard"
}
status "promise" {
  label "Promise to pay"
  suspends until item.promise_date + 3d
}
status "litigation" {
  label "In litigation"
  excludes
}
scenario "standard" {
  step "reminder_1" at due + 7d  { letter "reminder" }
  step "reminder_2" at due + 21d { letter "reminder" }
}
"#;

const REMINDER: &str = "---
subject: Reminder #customer_code
---
<p>{% if previous %}Despite our reminder of #previous_date,{% else %}As a first reminder,{% endif %} #total_overdue is overdue.</p>
#items_list_overdue
";

/// The planner and the templates' composer of [`LETTERS`], written to `dir`.
fn letters_config(dir: &std::path::Path) -> (Arc<Planner>, relance_worker::render::Composer) {
    composer_config(dir, LETTERS)
}

/// The planner and the templates' composer of `main` (its template
/// `reminder` is [`REMINDER`]), written to `dir`.
fn composer_config(
    dir: &std::path::Path,
    main: &str,
) -> (Arc<Planner>, relance_worker::render::Composer) {
    std::fs::create_dir_all(dir.join("templates/en")).expect("mkdir");
    std::fs::write(dir.join("main.relance"), main).expect("main.relance");
    std::fs::write(dir.join("templates/en/reminder.html"), REMINDER).expect("template");
    let report = relance_engine::config::load(dir).expect("the configuration loads");
    assert!(!report.has_errors(), "{:?}", report.checked.diagnostics);
    let planner =
        Arc::new(Planner::new(&report.checked.config, &report.sources).expect("a planner"));
    let templates = relance_engine::config::templates(&report.sources, &report.checked.config)
        .expect("the templates load");
    let composer =
        relance_worker::render::Composer::new(planner.clone(), templates).expect("a composer");
    (planner, composer)
}

#[tokio::test]
async fn a_letter_shows_issue_dates_keeps_held_items_apart_and_knows_the_letters_before() {
    let cfg = tempfile::tempdir().expect("a temp dir");
    let (planner, composer) = letters_config(cfg.path());
    let ts = store_support::sqlite().await;
    let data = tempfile::tempdir().expect("a temp dir");
    let files = Data::default().write(data.path());
    let items = files
        .iter()
        .find(|p| p.ends_with("items.csv"))
        .expect("items");
    // The configuration reads no issue date: the letter must show it all the same.
    std::fs::write(
        items,
        "customer,reference,type,issue_date,due_date,amount,status,promise_date\n\
         C0001,INV-1,invoice,2026-09-21,2026-10-21,300.00,,\n\
         C0001,INV-2,invoice,2026-09-01,2026-10-01,500.00,litigation,\n\
         C0001,INV-3,invoice,2026-09-05,2026-10-05,70.00,promise,2026-11-30\n",
    )
    .expect("items");
    support::import(&ts.store, &planner, &files, "2026-11-09T07:00:00Z").await;
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mut d = delivery(&ts.store, &planner, Mailer::File, outbox.path());
    d.composer = Arc::new(composer);

    let first = run_once(&ts.store, &planner).await;
    assert_eq!(first.len(), 1);
    let report = d.deliver_due(at("09:00")).await.expect("delivery");
    assert_eq!(report.letters, 1, "{report:?}");
    let letter = read_letter(&outbox, first[0], "reminder_1");
    assert!(
        letter.contains("As a first reminder, €300.00 is overdue."),
        "{letter}"
    );
    assert!(!letter.contains("Despite"), "{letter}");
    assert!(letter.contains("21 Sep 2026"), "the issue date: {letter}");
    let (to_pay, held) = letter
        .split_once("On hold (not requested now)")
        .expect("held items apart");
    assert!(
        !to_pay.contains("INV-2") && !to_pay.contains("INV-3"),
        "{to_pay}"
    );
    assert!(
        held.contains("INV-2") && held.contains("In litigation"),
        "{held}"
    );
    assert!(
        held.contains("INV-3") && held.contains("Promise to pay"),
        "{held}"
    );

    // Two weeks later, reminder_2: the first letter is now in `previous`.
    let later: chrono::NaiveDate = "2026-11-23".parse().expect("a date");
    let second = run::run(
        &ts.store,
        &planner,
        When::Date(later),
        &Selection::all(&planner),
        "2026-11-23T07:30:00Z".parse().expect("an instant"),
        "test-run",
    )
    .await
    .expect("the run");
    let ids: Vec<i64> = second.recorded.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 1);
    let report = d
        .deliver_due("2026-11-23T09:00:00Z".parse().expect("an instant"))
        .await
        .expect("delivery");
    assert_eq!(report.letters, 1, "{report:?}");
    let letter = read_letter(&outbox, ids[0], "reminder_2");
    assert!(
        letter.contains("Despite our reminder of 9 November 2026, €300.00 is overdue."),
        "{letter}"
    );
    ts.cleanup().await;
}

const EMAILS: &str = r#"settings {
  company          "ACME Industries SAS"
  timezone         "Europe/Paris"
  currency         "EUR"
  language         "en"
  default_scenario "standard"
}
scenario "standard" {
  step "reminder_1" at due + 7d  { email "reminder" to billing attach statement }
}
"#;

#[tokio::test]
async fn an_attach_statement_email_carries_the_statement_as_a_pdf_through_smtp() {
    let Some(sink) = Sink::start() else { return };
    let cfg = tempfile::tempdir().expect("a temp dir");
    let (planner, composer) = composer_config(cfg.path(), EMAILS);
    let ts = store_support::sqlite().await;
    let data = tempfile::tempdir().expect("a temp dir");
    let files = Data::default().write(data.path());
    let items = files
        .iter()
        .find(|p| p.ends_with("items.csv"))
        .expect("items");
    std::fs::write(
        items,
        "customer,reference,type,issue_date,due_date,amount\n\
         C0001,INV-1,invoice,2026-09-21,2026-10-21,1300.00\n\
         C0001,INV-2,invoice,2026-09-01,2026-10-01,500.25\n\
         C0001,CN-3,credit_note,2026-09-05,2026-10-05,70.00\n",
    )
    .expect("items");
    support::import(&ts.store, &planner, &files, "2026-11-09T07:00:00Z").await;
    let ids = run_once(&ts.store, &planner).await;
    assert_eq!(ids.len(), 1);
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
    let mut d = delivery(&ts.store, &planner, mailer, outbox.path());
    d.composer = Arc::new(composer);
    let report = d.deliver_due(at("09:00")).await.expect("delivery");
    assert_eq!(report.sent, 1, "{report:?}");

    assert_eq!(sink.count(), 1);
    // The raw message: the parsed body has its QP soft breaks joined.
    let body = std::fs::read_dir(sink.dir.path())
        .expect("the sink's directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| std::fs::read_to_string(p).expect("the message"))
        .expect("one message");
    let (name, pdf) = pdf_part(&body).unwrap_or_else(|| panic!("no PDF part in\n{body}"));
    assert_eq!(name, "statement-C0001-2026-11-09.pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(!body.contains(".html\""), "no HTML statement any more");
    let Some(text) = pdftotext(&pdf) else {
        ts.cleanup().await;
        return;
    };
    for s in [
        "INV-1",
        "INV-2",
        "CN-3",
        "€1,300.00",
        "€500.25",
        "-€70.00",
        "€1,730.25",
    ] {
        assert!(text.contains(s), "{s:?} missing from\n{text}");
    }
    ts.cleanup().await;
}

/// The file name and bytes of the `application/pdf` part of a raw MIME body.
fn pdf_part(body: &str) -> Option<(String, Vec<u8>)> {
    use base64::Engine as _;
    let body = body.replace("\r\n", "\n");
    let (head, rest) = body
        .split("\n--")
        .filter_map(|part| part.split_once("\n\n"))
        .find(|(head, _)| head.contains("Content-Type: application/pdf"))?;
    let name = head
        .split("filename=")
        .nth(1)?
        .trim_matches(|c: char| c == '"' || c.is_whitespace())
        .split('"')
        .next()?
        .to_string();
    let encoded: String = rest.lines().take_while(|l| !l.starts_with("--")).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    Some((name, bytes))
}

fn read_letter(outbox: &tempfile::TempDir, id: i64, step: &str) -> String {
    let path = outbox.path().join(format!("{id:06}-C0001-{step}.html"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An SMTP server that accepts connections and never says a word.
async fn silent_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("smtp://{}", listener.local_addr().expect("the address"));
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, task)
}

/// A proxy in front of the real sink that passes every exchange through,
/// except that a transaction with a `stall@…` recipient stops at DATA: the
/// command is never forwarded and the connection stays open, silent.
async fn stalling_proxy(upstream: String) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("smtp://{}", listener.local_addr().expect("the address"));
    let task = tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let (client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                });
                let mut lines = tokio::io::BufReader::new(client_read);
                let mut stall = false;
                let mut line = String::new();
                loop {
                    line.clear();
                    match lines.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let upper = line.to_ascii_uppercase();
                    if upper.starts_with("RCPT TO:<STALL@") {
                        stall = true;
                    }
                    if upper.starts_with("RSET") || upper.starts_with("MAIL FROM") {
                        stall = false;
                    }
                    if stall && upper.trim_end() == "DATA" {
                        // Hold the connection open, answer nothing, forever.
                        std::future::pending::<()>().await;
                    }
                    if server_write.write_all(line.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, task)
}

/// One delivery pass at 09:00 that must end (a hung server may not hold
/// it) and end within `bound`: the timeouts, not the test's guard, stop it.
async fn deliver_within(d: &Delivery, bound: Duration) -> relance_worker::deliver::Report {
    let started = std::time::Instant::now();
    let report = tokio::time::timeout(Duration::from_secs(20), d.deliver_due(at("09:00")))
        .await
        .expect("the pass ends: a silent or stalled server does not hold it")
        .expect("delivery");
    assert!(started.elapsed() < bound, "{:?}", started.elapsed());
    report
}

async fn retries_of(store: &Store, customer: &str) -> Vec<serde_json::Value> {
    history_kinds(store, customer, "delivery_attempt")
        .await
        .into_iter()
        .filter(|a| a["outcome"] == "retry")
        .collect()
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_and_the_action_is_retried() {
    let (url, server) = silent_server().await;
    let (_cfg, planner) = support::config(|t| t.to_string());
    let ts = store_support::sqlite().await;
    let ids = recorded(
        &ts.store,
        &planner,
        &Data {
            customers: 3,
            ..Data::default()
        },
    )
    .await;
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp_with_timeout(&url, 2, Duration::from_millis(500)).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());

    // Three sends over two connections: two rounds of the timeout, not forever.
    let report = deliver_within(&d, Duration::from_secs(10)).await;
    assert_eq!(
        (report.sent, report.retried, report.failed),
        (0, 3, 0),
        "{report:?}"
    );
    for id in &ids {
        assert_eq!(state(&ts.store, *id).await, "queued");
    }
    let retries = retries_of(&ts.store, "C0001").await;
    assert_eq!(retries.len(), 1, "{retries:?}");
    let reply = retries[0]["reply"].as_str().unwrap_or("");
    assert!(
        reply.contains("timed out") && reply.contains("0.5 s"),
        "{reply}"
    );
    assert_eq!(retries[0]["next_attempt_at"], "2026-11-09T09:00:01.000Z");

    // The retry, due a second later, times out the same way and is counted.
    let again = d
        .deliver_due(at("09:00") + chrono::TimeDelta::seconds(1))
        .await
        .expect("delivery");
    assert_eq!(again.retried, 3, "{again:?}");
    assert_eq!(retries_of(&ts.store, "C0001").await.len(), 2);
    server.abort();
    ts.cleanup().await;
}

#[tokio::test]
async fn a_server_stalling_at_data_holds_neither_the_batch_nor_the_other_recipients() {
    let Some(sink) = Sink::start() else { return };
    let (proxy, server) = stalling_proxy(sink.addr.clone()).await;
    let (_cfg, planner) = support::config(|t| t.to_string());
    let ts = store_support::sqlite().await;
    let data = Data {
        customers: 3,
        contact: |n| {
            if n == 2 {
                "stall@c0002.example".into()
            } else {
                format!("ap@c{n:04}.example")
            }
        },
        ..Data::default()
    };
    let ids = recorded(&ts.store, &planner, &data).await;
    let outbox = tempfile::tempdir().expect("a temp dir");
    // One connection: the sends go one after another through the stalled
    // one, so the third needs a connection the stalled send did not spoil.
    let mailer =
        Mailer::smtp_with_timeout(&proxy, 1, Duration::from_millis(800)).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());

    let report = deliver_within(&d, Duration::from_secs(8)).await;
    assert_eq!(
        (report.sent, report.retried, report.failed),
        (2, 1, 0),
        "{report:?}"
    );
    assert_eq!(sink.count(), 2);
    let to: Vec<String> = sink.messages().iter().map(|m| m["to"].clone()).collect();
    assert!(
        to.contains(&"ap@c0001.example".to_string())
            && to.contains(&"ap@c0003.example".to_string()),
        "{to:?}"
    );
    assert_eq!(state(&ts.store, ids[1]).await, "queued");
    let retries = retries_of(&ts.store, "C0002").await;
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert!(
        retries[0]["reply"]
            .as_str()
            .unwrap_or("")
            .contains("timed out"),
        "{retries:?}"
    );
    assert!(retries[0]["next_attempt_at"].is_string(), "{retries:?}");
    server.abort();
    ts.cleanup().await;
}

#[tokio::test]
async fn a_300_character_customer_code_gets_a_bounded_outbox_file_name() {
    let (_cfg, planner) = support::config(support::no_window);
    let ts = store_support::sqlite().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let files = Data::default().write(dir.path());
    let code = format!("C{}", "9".repeat(299));
    for f in &files {
        let text = std::fs::read_to_string(f).expect("a CSV file");
        std::fs::write(f, text.replace("C0001", &code)).expect("a CSV file");
    }
    support::import(&ts.store, &planner, &files, "2026-11-09T07:00:00Z").await;
    let ids = run_once(&ts.store, &planner).await;
    assert_eq!(ids.len(), 1);
    let outbox = tempfile::tempdir().expect("a temp dir");
    let d = delivery(&ts.store, &planner, Mailer::File, outbox.path());
    let report = d.deliver_due(at("09:00")).await.expect("delivery");
    assert_eq!((report.sent, report.retried), (1, 0), "{report:?}");
    assert_eq!(state(&ts.store, ids[0]).await, "sent");
    let names: Vec<String> = std::fs::read_dir(outbox.path())
        .expect("outbox")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].len() <= 130 && names[0].ends_with(".eml"),
        "{names:?}"
    );
    assert!(
        names[0].starts_with(&format!("{:06}-C999", ids[0])),
        "{names:?}"
    );
    let eml = std::fs::read_to_string(outbox.path().join(&names[0])).expect("the message");
    assert!(
        support::parse(&eml)["body"].contains(&code),
        "the message names the account in full"
    );
    ts.cleanup().await;
}

/// Rewrites the planned recipients of every action of `customer` in the
/// store, as an older version of relance could have recorded them.
async fn set_to(store: &Store, customer: &str, from: &str, to: &str) {
    let pool = store.sqlite_pool().expect("a SQLite store");
    let changed =
        sqlx::query("UPDATE actions SET payload = replace(payload, ?, ?) WHERE account = ?")
            .bind(from)
            .bind(to)
            .bind(customer)
            .execute(pool)
            .await
            .expect("the payload rewritten")
            .rows_affected();
    assert_eq!(changed, 1);
}

#[tokio::test]
async fn an_address_no_server_can_take_fails_that_recipient_only_and_idna_domains_leave_in_ascii() {
    let Some(sink) = Sink::start() else { return };
    let (_cfg, planner) = support::config(support::no_window);
    let ts = store_support::sqlite().await;
    let data = Data {
        customers: 3,
        contact: |n| match n {
            2 => "ap@café.example".into(),
            n => format!("ap@c{n:04}.example"),
        },
        ..Data::default()
    };
    let ids = recorded(&ts.store, &planner, &data).await;
    assert_eq!(ids.len(), 3);
    // Recorded before addresses were checked at import: a second recipient
    // whose mailbox name needs SMTPUTF8 for C0001, the only one for C0003.
    set_to(
        &ts.store,
        "C0001",
        "\"ap@c0001.example\"",
        "\"ap@c0001.example\",\"inês0@c0001.example\"",
    )
    .await;
    set_to(
        &ts.store,
        "C0003",
        "\"ap@c0003.example\"",
        "\"inês0@c0003.example\"",
    )
    .await;
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());
    let report = d.deliver_due(at("09:00")).await.expect("delivery");
    assert_eq!(
        (report.sent, report.refused, report.failed, report.retried),
        (2, 1, 1, 0),
        "{report:?}"
    );
    let (told, customers) = split(&sink);
    let mut to: Vec<String> = customers.iter().map(|m| m["to"].clone()).collect();
    to.sort();
    assert_eq!(to, ["ap@c0001.example", "ap@xn--caf-dma.example"]);
    // delivery_failed (high) on C0001 and C0003: the collector is told at once.
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(
        told.iter().all(|m| m["to"] == "julie@acme.example"
            && m["subject"].starts_with("Alert (high): An email could not be delivered")),
        "{told:?}"
    );
    assert_eq!(state(&ts.store, ids[0]).await, "sent");
    assert_eq!(state(&ts.store, ids[2]).await, "failed");

    let sent = history_kinds(&ts.store, "C0001", "delivery_attempt").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["outcome"], "sent");
    let refused = sent[0]["refused"][0].as_str().unwrap_or("");
    assert!(
        refused.contains("inês0@c0001.example") && refused.contains("SMTPUTF8"),
        "{sent:?}"
    );
    let failed = history_kinds(&ts.store, "C0003", "delivery_attempt").await;
    assert_eq!(failed[0]["outcome"], "failed");
    assert!(
        failed[0]["reply"]
            .as_str()
            .unwrap_or("")
            .contains("inês0@c0003.example"),
        "{failed:?}"
    );
    // One delivery_failed on C0001 (the refused copy) and one on C0003.
    assert_eq!(
        open_alerts(&ts.store).await,
        [("delivery_failed".to_string(), 2)]
    );
    // Nothing is retried: the refusal is permanent.
    let later = d.deliver_due(at("10:00")).await.expect("delivery");
    assert_eq!(later, relance_worker::deliver::Report::default());
    ts.cleanup().await;
}

#[tokio::test]
async fn a_recipient_the_server_refuses_fails_alone_and_the_others_are_served() {
    let Some(sink) = Sink::start() else { return };
    let (_cfg, planner) = support::config(support::no_window);
    let ts = store_support::sqlite().await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let files = Data::default().write(dir.path());
    let contacts = files
        .iter()
        .find(|p| p.ends_with("contacts.csv"))
        .expect("contacts");
    std::fs::write(
        contacts,
        "customer,email,role\nC0001,ap@c0001.example,billing\nC0001,reject@c0001.example,billing\n",
    )
    .expect("contacts.csv");
    support::import(&ts.store, &planner, &files, "2026-11-09T07:00:00Z").await;
    let ids = run_once(&ts.store, &planner).await;
    assert_eq!(ids.len(), 1);
    let outbox = tempfile::tempdir().expect("a temp dir");
    let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
    let d = delivery(&ts.store, &planner, mailer, outbox.path());
    let report = d.deliver_due(at("09:00")).await.expect("delivery");
    assert_eq!(
        (report.sent, report.refused, report.failed, report.retried),
        (1, 1, 0, 0),
        "{report:?}"
    );
    assert_eq!(state(&ts.store, ids[0]).await, "sent");
    // One copy per recipient who took it, each the same message.
    let (told, messages) = split(&sink);
    assert_eq!(messages.len(), 2, "ap@ and the collector in copy");
    assert_eq!(told.len(), 1, "delivery_failed, to the collector at once");
    assert!(
        messages
            .iter()
            .all(|m| m["message-id"] == messages[0]["message-id"])
    );
    assert!(
        messages[0]["to"].contains("reject@c0001.example"),
        "the header is as planned"
    );
    let attempts = history_kinds(&ts.store, "C0001", "delivery_attempt").await;
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0]["outcome"], "sent");
    let refused = attempts[0]["refused"][0].as_str().unwrap_or("");
    assert!(
        refused.starts_with("reject@c0001.example: ") && refused.contains("550"),
        "{attempts:?}"
    );
    assert_eq!(
        open_alerts(&ts.store).await,
        [("delivery_failed".to_string(), 1)]
    );
    ts.cleanup().await;
}

/// The daily run of `timezone` at `now` as the worker's jobs do it (the run
/// cut into shards, each shard run); the accounts it recorded actions for.
async fn day(d: &Delivery, timezone: &str, now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    use relance_worker::jobs::{self, RunShard};
    let fanned = jobs::fan_out(d, timezone, now, 100_000)
        .await
        .expect("the daily run");
    assert!(fanned.created);
    for shard in fanned.pending {
        let job = RunShard {
            run: fanned.run,
            shard,
        };
        jobs::run_shard(d, &job, "test", now)
            .await
            .expect("the shard");
    }
    let mut tx = d.store.begin().await.expect("a transaction");
    let filter = relance_engine::store::actions::ActionFilter {
        limit: 1000,
        ..Default::default()
    };
    let origin = relance_engine::run::run_origin(fanned.run);
    let accounts = relance_engine::store::actions::list(&mut tx, &filter)
        .await
        .expect("actions")
        .into_iter()
        .filter(|a| a.origin == origin)
        .map(|a| a.account)
        .collect();
    tx.rollback().await.expect("rollback");
    accounts
}
