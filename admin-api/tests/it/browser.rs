//! The workspace in a real headless browser (Debian's chromium driven by
//! chromedriver through WebDriver): a collector signs in, sees today's call
//! task, opens the account and completes the task with outcome `promise`
//! and a date; the store then holds the item's status, the task's state and
//! the history, and the next plan suspends the item. Screenshots of each
//! page (desktop and 375 px wide) go to `target/workspace-screenshots/`.
//!
//! Without chromium or chromedriver the test says why and returns, except
//! under CI (`CI=true`), where it fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

use crate::support::DAY;
use crate::ui::{JULIE, PASSWORD, call_task, workspace};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, killed when dropped.
struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_driver() -> Option<Driver> {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        let why = format!(
            "{CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
        );
        assert!(!relance_test_support::ci(), "{why}");
        eprintln!("skipped: {why}");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    Some(Driver(child, port))
}

fn shots_dir() -> PathBuf {
    let dir = relance_test_support::repo_root().join("target/workspace-screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot directory");
    dir
}

async fn shoot(client: &fantoccini::Client, name: &str) {
    for (width, suffix) in [(1280u32, "desktop"), (375, "phone")] {
        client
            .set_window_size(width, 900)
            .await
            .expect("window size");
        let png = client.screenshot().await.expect("a screenshot");
        std::fs::write(shots_dir().join(format!("{name}-{suffix}.png")), png)
            .expect("writing a screenshot");
    }
    client
        .set_window_size(1280, 900)
        .await
        .expect("window size");
}

#[tokio::test]
async fn a_collector_completes_todays_call_in_a_browser() {
    let Some(driver) = start_driver() else { return };
    let api = workspace().await;
    let task = call_task(&api.store).await;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=en"],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut client = None;
    for _ in 0..100 {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.1))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let client = client.expect("chromedriver answers");
    // The browser treats http://localhost as a secure context: Secure cookies work over http.
    let base = api.base.replace("127.0.0.1", "localhost");
    client
        .goto(&format!("{base}/ui/"))
        .await
        .expect("opens the workspace");
    assert!(client.current_url().await.expect("a url").path() == "/ui/login");
    shoot(&client, "login").await;
    sign_in_browser(&client, &base, JULIE).await;
    // Today: the call task.
    let link = client
        .wait()
        .for_element(Locator::Css(&format!("a[href$='#task-{}']", task.id)))
        .await
        .expect("today lists the call task");
    let heading = client
        .find(Locator::Css("#tasks"))
        .await
        .expect("tasks heading")
        .text()
        .await
        .expect("text");
    assert!(heading.contains("(1)"), "{heading}");
    shoot(&client, "today").await;
    client
        .goto(&format!("{base}/ui/accounts"))
        .await
        .expect("accounts");
    shoot(&client, "accounts").await;
    client.goto(&format!("{base}/ui/")).await.expect("today");
    let link = client
        .find(Locator::Css(&format!("a[href$='#task-{}']", task.id)))
        .await
        .unwrap_or(link);
    link.click().await.expect("opens the account");
    client
        .wait()
        .for_element(Locator::Id(&format!("outcome-{}", task.id)))
        .await
        .expect("the account shows the task's form");
    shoot(&client, "account").await;
    client
        .find(Locator::Css(&format!(
            "#outcome-{} option[value=promise]",
            task.id
        )))
        .await
        .expect("the promise outcome")
        .click()
        .await
        .expect("chosen");
    // A date input takes the date as typed in the browser's locale (en-US: mm/dd/yyyy).
    let promised = crate::support::days_ahead(20);
    client
        .find(Locator::Id(&format!("promise-{}", task.id)))
        .await
        .expect("the date")
        .send_keys(&promised.format("%m%d%Y").to_string())
        .await
        .expect("typed");
    client
        .find(Locator::Id(&format!("tnote-{}", task.id)))
        .await
        .expect("the note")
        .send_keys("Pays on the 15th")
        .await
        .expect("typed");
    client
        .find(Locator::Css(&format!(
            "#task-{} form button[type=submit]",
            task.id
        )))
        .await
        .expect("complete")
        .click()
        .await
        .expect("submits");
    client
        .wait()
        .for_element(Locator::Css("p.flash"))
        .await
        .expect("the page says it was saved");
    let state = client
        .find(Locator::Css(&format!("#task-{} .state", task.id)))
        .await
        .expect("the task's state")
        .text()
        .await
        .expect("text");
    assert_eq!(state, "done");
    shoot(&client, "account-after").await;
    client.close().await.expect("closes");
    drop(driver);

    // The store: the task, the item's status, the history.
    let done = call_task(&api.store).await;
    assert_eq!(done.state, "done");
    assert_eq!(done.outcome.as_deref(), Some("promise"));
    assert_eq!(done.promise_date, Some(promised.to_string()));
    assert_eq!(done.closed_by.as_deref(), Some(&*format!("ui:{JULIE}")));
    let mut tx = api.store.begin().await.expect("tx");
    let status = relance_engine::store::items::item_status(&mut tx, "C5", "INV-7")
        .await
        .expect("status")
        .expect("the item");
    let lines = relance_engine::store::history::history_of(&mut tx, "C5")
        .await
        .expect("history");
    tx.rollback().await.expect("rollback");
    assert_eq!(status.status.as_deref(), Some("promise"));
    assert_eq!(status.promise_date, Some(promised.to_string()));
    assert!(lines.iter().any(|l| l.origin == format!("ui:{JULIE}")));
    // The next plan suspends the item: no action for C5 the next day.
    let next: chrono::NaiveDate =
        DAY.parse::<chrono::NaiveDate>().expect("a date") + chrono::TimeDelta::days(7);
    let planner = crate::support::planner(&api.config_dir);
    let mut tx = api.store.begin().await.expect("tx");
    let facts = relance_engine::store::facts::accounts(&mut tx, &["C5".to_string()])
        .await
        .expect("facts");
    tx.rollback().await.expect("rollback");
    let account = relance_engine::planner::account::Account::from_facts(
        facts.into_iter().next().expect("C5"),
    );
    let held = planner.held(&account, None, next);
    assert_eq!(held, vec![true], "the promised item is suspended");
    let plan = planner.plan_account(&account, next);
    assert!(
        plan.action.is_none(),
        "no action on a suspended item: {:?}",
        plan.action
    );
    api.cleanup().await;
}

/// A WebDriver session on headless chromium.
async fn browser(driver: &Driver) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=en"],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    for _ in 0..100 {
        if let Ok(c) = ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.1))
            .await
        {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver does not answer");
}

/// Screenshots of the customer page at phone width (390 px), the viewport
/// and a tall one, into `target/customer-screenshots/`.
async fn shoot_phone(client: &fantoccini::Client, name: &str) {
    let dir = relance_test_support::repo_root().join("target/customer-screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot directory");
    for (height, suffix) in [(900u32, "phone"), (3200, "phone-full")] {
        client
            .set_window_size(390, height)
            .await
            .expect("window size");
        let png = client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("{name}-{suffix}.png")), png)
            .expect("writing a screenshot");
    }
}

#[tokio::test]
async fn a_customer_downloads_a_file_and_promises_to_pay_in_a_browser() {
    let Some(driver) = start_driver() else { return };
    let api = crate::support::Api::sqlite().await;
    let pdf: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
    api.share_file("C1/INV-2", "invoice-INV-2.pdf", pdf).await;
    let client = browser(&driver).await;
    let base = api.base.replace("127.0.0.1", "localhost");
    client
        .goto(&format!(
            "{base}{}",
            crate::customer::page_link("C1", false)
        ))
        .await
        .expect("opens the page");
    client
        .wait()
        .for_element(Locator::Css("#statement table"))
        .await
        .expect("the statement");
    shoot_phone(&client, "page").await;
    // The shared file: its link downloads it.
    let link = client
        .find(Locator::Css("#files a"))
        .await
        .expect("the shared file");
    assert_eq!(link.text().await.expect("text"), "invoice-INV-2.pdf");
    let href = link
        .attr("href")
        .await
        .expect("href")
        .expect("a download link");
    let got = reqwest::get(&href).await.expect("the download");
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"invoice-INV-2.pdf\"")
    );
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), pdf);
    // The promise: a date (typed as en-US shows it), one invoice, an amount.
    client.set_window_size(390, 900).await.expect("window size");
    let promised = crate::support::days_ahead(12);
    let done = promise_to_pay(&client, "C1/INV-2", promised, Some("200")).await;
    assert!(
        done.contains("Your promise to pay has been recorded"),
        "{done}"
    );
    shoot_phone(&client, "confirmation").await;
    // The same account's link after its expiry: the expiry page.
    client
        .goto(&format!("{base}{}", crate::customer::page_link("C1", true)))
        .await
        .expect("opens the expired link");
    let heading = client
        .find(Locator::Css("h1"))
        .await
        .expect("a heading")
        .text()
        .await
        .expect("text");
    assert_eq!(heading, "This link has expired");
    shoot_phone(&client, "expired").await;
    client.close().await.expect("closes");
    drop(driver);

    let mut tx = api.store.begin().await.expect("tx");
    let status = relance_engine::store::items::item_status(&mut tx, "C1", "INV-2")
        .await
        .expect("status")
        .expect("the item");
    let lines = relance_engine::store::history::history_of(&mut tx, "C1")
        .await
        .expect("history");
    tx.rollback().await.expect("rollback");
    assert_eq!(status.status.as_deref(), Some("promise"));
    assert_eq!(status.promise_date, Some(promised.to_string()));
    assert!(
        lines
            .iter()
            .any(|l| l.kind == "status_set" && l.origin == "customer")
    );
    assert!(lines.iter().any(|l| l.kind == "file_downloaded"));
    api.cleanup().await;
}

/// Fills the promise form of the open customer page (the date typed as
/// en-US shows it, one invoice, an optional amount), sends it, and returns
/// the confirmation's text.
async fn promise_to_pay(
    client: &fantoccini::Client,
    item: &str,
    date: chrono::NaiveDate,
    amount: Option<&str>,
) -> String {
    client
        .find(Locator::Id("promise-date"))
        .await
        .expect("the date")
        .send_keys(&date.format("%m%d%Y").to_string())
        .await
        .expect("typed");
    if let Some(amount) = amount {
        client
            .find(Locator::Id("promise-amount"))
            .await
            .expect("the amount")
            .send_keys(amount)
            .await
            .expect("typed");
    }
    client
        .find(Locator::Css(&format!(
            "#promise input[name=items][value='{item}']"
        )))
        .await
        .expect("the invoice")
        .click()
        .await
        .expect("checked");
    client
        .find(Locator::Css("#promise button[type=submit]"))
        .await
        .expect("the button")
        .click()
        .await
        .expect("sends");
    client
        .wait()
        .for_element(Locator::Css("#done"))
        .await
        .expect("the confirmation")
        .text()
        .await
        .expect("text")
}

/// The `text/plain` part of a raw message with quoted-printable `=3D`
/// decoded (what a URL in it needs).
fn plain_text(message: &std::collections::BTreeMap<String, String>) -> String {
    message["body"].replace("=3D", "=")
}

/// The first link of `text` that starts with `prefix`.
fn link_in(text: &str, prefix: &str) -> Option<String> {
    let at = text.find(prefix)?;
    Some(
        text[at..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '<'))
            .collect(),
    )
}

/// Polls the store until `C5` has a history line of `kind`, for 10 s.
async fn wait_for_history(store: &relance_engine::store::Store, kind: &str) -> bool {
    for _ in 0..100 {
        let mut tx = store.begin().await.expect("tx");
        let lines = relance_engine::store::history::history_of(&mut tx, "C5")
            .await
            .expect("history");
        tx.rollback().await.expect("rollback");
        if lines.iter().any(|l| l.kind == kind) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The whole loop a customer closes: the day's run emails a reminder through
/// a real SMTP server; the customer opens the page from the link in that
/// email in a real browser, downloads the shared invoice and promises to
/// pay; the next day's plan leaves the invoice alone, the collector's digest
/// tells of the promise, and the same link, once expired, shows the expiry
/// page.
#[tokio::test]
async fn a_customer_answers_a_reminder_from_its_email_and_the_collector_hears_of_it() {
    use relance_engine::planner::calendar::BusinessCalendar;
    use relance_engine::run::{self, Selection, When};
    use relance_worker::deliver::{Delivery, Options, Retry, Shared};

    let Some(driver) = start_driver() else { return };
    let Some(sink) = relance_test_support::Sink::start() else {
        return;
    };
    let api = crate::support::Api::sqlite().await;
    let planner = std::sync::Arc::new(crate::support::planner(&api.config_dir));
    let tz = planner.config.settings.timezone;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    // The run date: a business day, so that the example's reminder_2 (due
    // + 21 days, on business days) falls on it.
    let calendar = BusinessCalendar::new(&planner.config.calendars["fr"]);
    let day = calendar.on_or_after(today);
    let due = day - chrono::Days::new(21);
    let items =
        format!("customer,reference,type,due_date,amount\nC5,INV-51,invoice,{due},750.00\n");
    crate::support::import(
        &api.store,
        &[
            ("customers.csv", "code,name,language\nC5,Client Five,en\n"),
            (
                "contacts.csv",
                "customer,email,name\nC5,ap@five.example,Fay\n",
            ),
            (
                "assignments.csv",
                "customer,colleague\nC5,julie@acme.example\n",
            ),
            ("items.csv", &items),
        ],
    )
    .await;
    let invoice = relance_templates::pdf::Document::from_text(
        "Invoice INV-51",
        "en",
        "INVOICE INV-51\n\nTotal due: 750.00 EUR",
    )
    .to_pdf();
    api.share_file("C5/INV-51", "INV-51.pdf", &invoice).await;

    // The day's run, delivered through the SMTP server, links to this server.
    let only_c5 = Selection {
        account: Some("C5".into()),
        ..Selection::all(&planner)
    };
    let outcome = run::run(
        &api.store,
        &planner,
        When::Date(day),
        &only_c5,
        now,
        "test-run",
    )
    .await
    .expect("the run");
    let steps: Vec<&str> = outcome
        .recorded
        .iter()
        .map(|r| r.action.step.as_str())
        .collect();
    assert_eq!(steps, ["reminder_2"], "on {day}");
    let outbox = tempfile::tempdir().expect("a temp dir");
    let delivery = Delivery {
        store: api.store.clone(),
        planner: planner.clone(),
        composer: std::sync::Arc::new(
            relance_worker::render::Composer::new(
                planner.clone(),
                crate::support::templates(&api.config_dir),
            )
            .expect("a composer"),
        ),
        mailer: relance_worker::mailer::Mailer::smtp(&sink.url(), 1).expect("a mailer"),
        options: Options {
            outbox: outbox.path().to_path_buf(),
            retry: Retry {
                tries: 1,
                first: Duration::from_secs(1),
            },
            lease: Duration::from_secs(60),
            batch: 16,
            windows: false,
            worker: "test".into(),
            origin: "test".into(),
        },
        shared: Shared {
            files: Some(api.files.clone()),
            signer: Some(
                relance_engine::links::Signer::new(crate::support::LINK_KEY).expect("a key"),
            ),
            public_url: Some(api.base.clone()),
        },
    };
    let report = delivery.deliver_due(now).await.expect("delivery");
    assert_eq!(report.sent, 1, "{report:?}");
    let email = sink
        .messages()
        .into_iter()
        .find(|m| m.get("to").is_some_and(|t| t.contains("ap@five.example")))
        .expect("the reminder");
    let body = plain_text(&email);
    assert!(
        body.contains("INV-51.pdf"),
        "the invoice in the email: {body}"
    );
    let link = link_in(&body, &format!("{}/c/C5?", api.base))
        .unwrap_or_else(|| panic!("no customer page link in\n{body}"));
    // Unanswered, the invoice gets the collector's call at due + 30 days.
    let call_day = calendar.on_or_after(due + chrono::Days::new(30));
    let step_on = |plans: &[relance_engine::planner::AccountPlan]| {
        plans
            .iter()
            .find_map(|p| p.action.as_ref().map(|a| a.step.clone()))
    };
    let plans = run::plan(&api.store, &planner, When::Date(call_day), &only_c5)
        .await
        .expect("the plan");
    assert_eq!(step_on(&plans).as_deref(), Some("call"), "on {call_day}");

    // The customer opens it, downloads the invoice and promises to pay.
    let client = browser(&driver).await;
    client.goto(&link).await.expect("opens the page");
    let statement = client
        .wait()
        .for_element(Locator::Css("#statement"))
        .await
        .expect("the statement")
        .text()
        .await
        .expect("text");
    assert!(statement.contains("INV-51"), "{statement}");
    let file = client
        .find(Locator::Css("#files a"))
        .await
        .expect("the shared invoice");
    assert_eq!(file.text().await.expect("text"), "INV-51.pdf");
    let href = file.attr("href").await.expect("href").expect("a link");
    file.click().await.expect("downloads");
    if !wait_for_history(&api.store, "file_downloaded").await {
        // A headless browser may keep a download to itself: fetch it as
        // the browser would, then it is recorded.
        let got = reqwest::get(&href).await.expect("the download");
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.expect("bytes").as_ref(), &invoice[..]);
    }
    assert!(wait_for_history(&api.store, "file_downloaded").await);
    client.goto(&link).await.expect("back to the page");
    let promised = today + chrono::Days::new(20);
    client
        .wait()
        .for_element(Locator::Id("promise-date"))
        .await
        .expect("the promise form");
    let done = promise_to_pay(&client, "C5/INV-51", promised, None).await;
    assert!(
        done.contains("Your promise to pay has been recorded"),
        "{done}"
    );

    // Promised: no call on that day any more; the next business day's run
    // opens the collector's digest, which tells of the promise.
    let plans = run::plan(&api.store, &planner, When::Date(call_day), &only_c5)
        .await
        .expect("the plan");
    assert_eq!(step_on(&plans), None, "the promised invoice is not chased");
    let next = calendar.on_or_after(day + chrono::Days::new(1));
    run::run(
        &api.store,
        &planner,
        When::Date(next),
        &only_c5,
        now,
        "test-run",
    )
    .await
    .expect("the next run");
    let report = delivery.deliver_due(now).await.expect("delivery");
    assert!(report.internal >= 1, "{report:?}");
    let digest = sink
        .messages()
        .into_iter()
        .find(|m| {
            m.contains_key("x-relance-internal")
                && m.get("to")
                    .is_some_and(|t| t.contains("julie@acme.example"))
        })
        .expect("the collector's digest");
    assert!(
        digest["subject"].contains("1 customer answers"),
        "{}",
        digest["subject"]
    );
    let digest = plain_text(&digest);
    assert!(digest.contains("Client Five"), "{digest}");
    assert!(digest.contains("INV-51"), "{digest}");
    assert!(digest.contains("Promise to pay by"), "{digest}");

    // The same link after its expiry (link_expiry, 30 days).
    api.clock.advance(chrono::TimeDelta::days(31));
    client.goto(&link).await.expect("opens the link again");
    let heading = client
        .find(Locator::Css("h1"))
        .await
        .expect("a heading")
        .text()
        .await
        .expect("text");
    assert_eq!(heading, "This link has expired");
    client.close().await.expect("closes");
    drop(driver);
    api.cleanup().await;
}

/// Signs `email` in through the workspace's form.
async fn sign_in_browser(client: &fantoccini::Client, base: &str, email: &str) {
    client
        .goto(&format!("{base}/ui/login"))
        .await
        .expect("the sign-in page");
    for (id, text) in [("email", email), ("password", PASSWORD)] {
        client
            .find(Locator::Id(id))
            .await
            .expect("a field")
            .send_keys(text)
            .await
            .expect("typing");
    }
    client
        .find(Locator::Css("main button[type=submit]"))
        .await
        .expect("the button")
        .click()
        .await
        .expect("signs in");
    client
        .wait()
        .for_element(Locator::Css("header nav"))
        .await
        .expect("signed in");
}

/// The page's width as laid out, and the charts' rendered widths.
async fn widths(client: &fantoccini::Client) -> (f64, Vec<f64>) {
    let value = client
        .execute(
            "return [document.documentElement.scrollWidth, \
             Array.from(document.querySelectorAll('figure.chart svg')).map(s => s.getBoundingClientRect().width)];",
            vec![],
        )
        .await
        .expect("the layout");
    let page = value[0].as_f64().expect("a width");
    let charts = value[1]
        .as_array()
        .expect("the charts")
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    (page, charts)
}

/// C7, a year of monthly invoices of 1000.00 EUR: `(reference, issued,
/// due, remaining, paid on)`; the last two open (one partly paid, one
/// promised on 2026-12-09): sales for the DSO, cash for the receipts and a
/// promise for the forecast.
const C7: &[(&str, &str, &str, &str, &str)] = &[
    ("S-01", "2025-12-01", "2025-12-31", "0", "2026-01-10"),
    ("S-02", "2026-01-05", "2026-02-04", "0", "2026-02-20"),
    ("S-03", "2026-02-02", "2026-03-04", "0", "2026-03-15"),
    ("S-04", "2026-03-02", "2026-04-01", "0", "2026-04-12"),
    ("S-05", "2026-04-01", "2026-05-01", "0", "2026-05-20"),
    ("S-06", "2026-05-04", "2026-06-03", "0", "2026-06-10"),
    ("S-07", "2026-06-01", "2026-07-01", "0", "2026-07-15"),
    ("S-08", "2026-07-01", "2026-07-31", "0", "2026-08-12"),
    ("S-09", "2026-08-03", "2026-09-02", "0", "2026-09-07"),
    ("S-10", "2026-09-01", "2026-10-01", "0", "2026-10-14"),
    ("S-11", "2026-10-01", "2026-10-31", "400.00", "2026-11-12"),
    ("S-12", "2026-11-02", "2026-12-02", "1000.00", ""),
];

/// Imports C7 twice: every invoice open, then as paid (the payment
/// history records what went down, on its `paid_on` date).
async fn import_c7(store: &relance_engine::store::Store) {
    let head = "customer,reference,type,issue_date,due_date,amount,remaining,paid_on,status,promise_date\n";
    let mut open = head.to_string();
    let mut paid = head.to_string();
    for (reference, issued, due, remaining, paid_on) in C7 {
        let promise = if paid_on.is_empty() {
            "promise,2026-12-09"
        } else {
            ","
        };
        open.push_str(&format!(
            "C7,{reference},invoice,{issued},{due},1000.00,1000.00,,{promise}\n"
        ));
        paid.push_str(&format!(
            "C7,{reference},invoice,{issued},{due},1000.00,{remaining},{paid_on},{promise}\n"
        ));
    }
    let customers = ("customers.csv", "code,name,currency\nC7,Client Seven,EUR\n");
    crate::support::import(store, &[customers, ("items.csv", &open)]).await;
    crate::support::import(store, &[customers, ("items.csv", &paid)]).await;
}

#[tokio::test]
async fn the_reports_page_draws_its_charts_in_a_browser_on_a_desk_and_a_phone() {
    let Some(driver) = start_driver() else { return };
    let api = workspace().await;
    import_c7(&api.store).await;
    let client = browser(&driver).await;
    let base = api.base.replace("127.0.0.1", "localhost");
    sign_in_browser(&client, &base, JULIE).await;
    client
        .find(Locator::Css("header nav a[href='/ui/reports']"))
        .await
        .expect("the Reports link")
        .click()
        .await
        .expect("opens Reports");
    client
        .wait()
        .for_element(Locator::Css("figure.chart svg"))
        .await
        .expect("the charts");
    // The form, submitted as it is: every account on the fixture's day.
    client
        .goto(&format!("{base}/ui/reports?date={DAY}&collector=all"))
        .await
        .expect("the reports of every account");
    let dir = shots_dir();
    for (width, suffix) in [(1280u32, "desktop"), (390, "phone")] {
        client
            .set_window_size(width, 900)
            .await
            .expect("window size");
        let (page, charts) = widths(&client).await;
        assert_eq!(charts.len(), 4, "four charts");
        let viewport = client
            .execute("return window.innerWidth;", vec![])
            .await
            .expect("the viewport")
            .as_f64()
            .expect("a width");
        assert!(
            page <= viewport,
            "at {width} px the page is {page} px wide: it scrolls sideways"
        );
        // Full width up to 800 px; never under 576 px (36rem), the figure
        // scrolling sideways on a phone rather than the page.
        for w in &charts {
            assert!(
                (576.0..=800.0).contains(w),
                "a chart is {w} px wide at {width} px"
            );
        }
        client
            .execute("window.scrollTo(0, 0);", vec![])
            .await
            .expect("scrolled to the top");
        let png = client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("reports-{suffix}.png")), png)
            .expect("writing a screenshot");
        for name in ["aging", "dso", "forecast", "receipts"] {
            let png = client
                .find(Locator::Id(name))
                .await
                .expect("a report's section")
                .screenshot()
                .await
                .expect("a screenshot");
            std::fs::write(dir.join(format!("reports-{suffix}-{name}.png")), png)
                .expect("writing a screenshot");
        }
    }
    // The chart's words are drawn: the aging chart's title is text of the SVG.
    let title = client
        .find(Locator::Css("#aging figure.chart svg"))
        .await
        .expect("the aging chart")
        .text()
        .await
        .expect("its text");
    assert!(title.contains("Aging on 2026-11-20"), "{title}");
    client.close().await.expect("closes");
    drop(driver);
    api.cleanup().await;
}
