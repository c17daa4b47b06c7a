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
    client
        .find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys(JULIE)
        .await
        .expect("typing");
    client
        .find(Locator::Id("password"))
        .await
        .expect("password")
        .send_keys(PASSWORD)
        .await
        .expect("typing");
    client
        .find(Locator::Css("main button[type=submit]"))
        .await
        .expect("the button")
        .click()
        .await
        .expect("signs in");
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
    let form = reqwest::multipart::Form::new()
        .text("share", "customer")
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf.to_vec()).file_name("invoice-INV-2.pdf"),
        );
    api.send(
        api.request(
            reqwest::Method::POST,
            "/items/C1/INV-2/files",
            Some(crate::support::OPERATOR),
        )
        .multipart(form),
    )
    .await
    .ok(201);
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
    client
        .find(Locator::Id("promise-date"))
        .await
        .expect("the date")
        .send_keys(&promised.format("%m%d%Y").to_string())
        .await
        .expect("typed");
    client
        .find(Locator::Id("promise-amount"))
        .await
        .expect("the amount")
        .send_keys("200")
        .await
        .expect("typed");
    client
        .find(Locator::Css("#promise input[name=items][value='C1/INV-2']"))
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
    let done = client
        .wait()
        .for_element(Locator::Css("#done"))
        .await
        .expect("the confirmation")
        .text()
        .await
        .expect("text");
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
