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
