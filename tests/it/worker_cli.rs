//! `relance worker` and `relance run --mailer smtp` as an operator runs them:
//! the real binary, a real SMTP sink (tests/smtp_sink.py), SQLite files and
//! PostgreSQL databases. A worker SIGKILLed in the middle of sending and
//! restarted sends every action once (by Message-ID); four workers on one
//! PostgreSQL database send each of 10,000 actions exactly once; four
//! workers share a sharded daily run, one killed in the middle of a shard,
//! and record and send what one process would have, once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use relance_engine::store::{Store, reports};
use relance_test_support::pg::Database as PgDb;
use relance_test_support::{Data, Sink, copy_dir, no_window};

use crate::support::text;

/// A configuration (config/ without its send window, so that tests run at
/// any hour) and data in a temporary directory.
struct Case {
    dir: tempfile::TempDir,
    db: String,
}

impl Case {
    fn new(customers: usize, db: Option<String>) -> Case {
        let case = Case::imported(customers, db);
        let out = case.relance(&["run", "--date", "2026-11-09", "--mailer", "none"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        case
    }

    /// The data imported, nothing run yet.
    fn imported(customers: usize, db: Option<String>) -> Case {
        let dir = tempfile::tempdir().expect("a temp dir");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
            &dir.path().join("config"),
        );
        let main = dir.path().join("config/main.relance");
        let edited = no_window(&std::fs::read_to_string(&main).expect("main.relance"));
        std::fs::write(&main, edited).expect("main.relance");
        Data {
            customers,
            ..Data::default()
        }
        .write(&dir.path().join("data"));
        let db =
            db.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("relance.db").display()));
        let case = Case { dir, db };
        let out = case.relance(&["import", "--date", "2026-11-09", "data"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        case
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_relance"));
        cmd.current_dir(self.dir.path())
            .env_remove("RELANCE_SMTP_URL")
            .env("RELANCE_CONFIG", "config")
            .env("RELANCE_DB", &self.db)
            .args(args);
        cmd
    }

    fn relance(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("relance runs")
    }

    /// Starts `relance worker` sending to `sink`, claiming `batch` actions at
    /// a time, taking over `sending` actions after `lease`.
    fn worker(&self, sink: &Sink, name: &str, lease: &str, batch: &str) -> Worker {
        let log =
            std::fs::File::create(self.dir.path().join(format!("{name}.log"))).expect("a log");
        self.command(&[
            "worker",
            "--mailer",
            "smtp",
            "--smtp-url",
            &sink.url(),
            "--poll",
            "1s",
            "--lease",
            lease,
            "--batch",
            batch,
            "--deliverers",
            "2",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map(Worker)
        .expect("the worker starts")
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap_or_default()
    }

    async fn states(&self) -> BTreeMap<String, i64> {
        let store = Store::open(&self.db).await.expect("the store");
        let states = states(&store).await;
        store.close().await;
        states
    }
}

/// Actions by state.
async fn states(store: &Store) -> BTreeMap<String, i64> {
    {
        let counts = reports::counts(store).await.expect("counts");
        let mut states = BTreeMap::new();
        for (_, _, state, n) in counts.actions {
            *states.entry(state).or_default() += n;
        }
        states
    }
}

/// A worker process, killed if the test ends without stopping it.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Waits (polling, bounded) until `done` holds.
async fn wait_until(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Ends a worker as Ctrl-C does, and waits for its graceful exit.
fn interrupt(worker: &mut Worker) -> std::process::ExitStatus {
    let child = &mut worker.0;
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waiting") {
            return status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the worker did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Message-IDs received, with how many times each arrived, and the action
/// ids they name.
fn received(sink: &Sink) -> (BTreeMap<String, usize>, BTreeSet<i64>) {
    let mut ids = BTreeMap::new();
    let mut actions = BTreeSet::new();
    for m in sink.messages() {
        *ids.entry(m["message-id"].clone()).or_insert(0) += 1;
        actions.insert(m["x-relance-action"].parse().expect("an action id"));
    }
    (ids, actions)
}

#[tokio::test]
async fn a_worker_killed_while_sending_and_restarted_sends_each_action_once() {
    let Some(sink) = Sink::start() else { return };
    let case = Case::new(1000, None);
    assert_eq!(case.states().await.get("queued"), Some(&1000));

    let mut first = case.worker(&sink, "first", "15s", "16");
    wait_until("300 messages", Duration::from_secs(120), async || {
        sink.count() >= 300
    })
    .await;
    first.0.kill().expect("SIGKILL");
    first.0.wait().expect("reaped");
    let at_kill = sink.count();
    let then = case.states().await;
    eprintln!("killed after {at_kill} messages; states then: {then:?}");
    assert!(at_kill < 1000, "the worker finished before it was killed");

    let in_flight = then.get("sending").copied().unwrap_or(0) as usize;
    let mut second = case.worker(&sink, "second", "15s", "16");
    let store = Store::open(&case.db).await.expect("the store");
    wait_until("every action sent", Duration::from_secs(300), async || {
        states(&store).await.get("sent") == Some(&1000)
    })
    .await;
    store.close().await;
    let status = interrupt(&mut second);
    assert!(status.success(), "{status:?}\n{}", case.log("second"));

    let (ids, actions) = received(&sink);
    let resent: usize = ids.values().map(|n| n - 1).sum();
    eprintln!(
        "{} messages, {} distinct Message-IDs, {resent} resent with the same Message-ID",
        sink.count(),
        ids.len()
    );
    assert_eq!(ids.len(), 1000, "one Message-ID per action");
    assert_eq!(actions.len(), 1000);
    // Only what was in flight at the kill can arrive twice, and then with
    // the same Message-ID.
    assert!(
        resent <= in_flight,
        "{resent} resends, {in_flight} in flight"
    );
    assert!(
        case.log("second").contains("worker started"),
        "{}",
        case.log("second")
    );
}

#[tokio::test]
async fn run_with_the_smtp_mailer_sends_and_exits_1_when_a_send_fails() {
    let Some(sink) = Sink::start() else { return };
    let case = Case::new(2, None);
    // Recorded as queued by Case::new; this run records nothing new and sends them.
    let out = case.relance(&[
        "run",
        "--date",
        "2026-11-09",
        "--mailer",
        "smtp",
        "--smtp-url",
        &sink.url(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("2 emails sent"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(sink.count(), 2);
    // The templates' emails: a rendered subject, text and HTML parts, the headers.
    for m in sink.messages() {
        let subject = m.get("subject").cloned().unwrap_or_default();
        assert!(
            subject.starts_with("Upcoming due date")
                || subject.starts_with("Overdue invoices")
                || subject.starts_with("Second reminder")
                || subject.contains("=?utf-8?"),
            "{m:?}"
        );
        let content_type = m.get("content-type").cloned().unwrap_or_default();
        assert!(content_type.starts_with("multipart/"), "{m:?}");
        let body = m.get("body").cloned().unwrap_or_default();
        assert!(
            body.contains("text/plain") && body.contains("text/html"),
            "{m:?}"
        );
        assert!(
            !body.contains("#total_overdue") && !body.contains("#contact_name"),
            "{m:?}"
        );
        assert!(
            m.contains_key("x-relance-action") && m.contains_key("message-id"),
            "{m:?}"
        );
    }

    // A server that refuses connections: retried later, and the run says so.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let other = Case::new(1, None);
    let out = other
        .command(&["run", "--date", "2026-11-09", "--mailer", "smtp"])
        .env("RELANCE_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .output()
        .expect("relance runs");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("1 to retry"),
        "{}",
        text(&out.stderr)
    );

    let out = case.relance(&["run", "--mailer", "smtp"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("RELANCE_SMTP_URL"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn four_workers_on_one_postgres_database_send_each_of_10000_actions_once() {
    let Some(sink) = Sink::start() else { return };
    let Some(pg) = PgDb::create("relance_worker").await else {
        return;
    };
    let case = Case::new(10_000, Some(pg.url.clone()));
    assert_eq!(case.states().await.get("queued"), Some(&10_000));

    let started = Instant::now();
    let mut workers: Vec<Worker> = (0..4)
        .map(|n| case.worker(&sink, &format!("w{n}"), "10m", "64"))
        .collect();
    let store = Store::open(&case.db).await.expect("the store");
    wait_until("every action sent", Duration::from_secs(900), async || {
        states(&store).await.get("sent") == Some(&10_000)
    })
    .await;
    store.close().await;
    let elapsed = started.elapsed();
    for (n, w) in workers.iter_mut().enumerate() {
        let status = interrupt(w);
        assert!(
            status.success(),
            "{status:?}\n{}",
            case.log(&format!("w{n}"))
        );
    }
    let (ids, actions) = received(&sink);
    eprintln!(
        "4 workers sent 10,000 actions in {elapsed:?}; {} messages, {} distinct Message-IDs",
        sink.count(),
        ids.len()
    );
    assert_eq!(sink.count(), 10_000, "no message twice");
    assert_eq!(ids.len(), 10_000);
    assert_eq!(actions.len(), 10_000);
    let batches: Vec<usize> = (0..4)
        .map(|n| case.log(&format!("w{n}")).matches("batch recorded").count())
        .collect();
    eprintln!("batches recorded per worker: {batches:?}");
    pg.drop_database().await;
}

/// A worker of a sharded daily run: shards of `shard_items` open items;
/// `run_now` starts the day's run at once.
fn sharded_worker(case: &Case, sink: &Sink, n: usize, run_now: bool) -> Worker {
    let log = std::fs::File::create(case.dir.path().join(format!("s{n}.log"))).expect("a log");
    let url = sink.url();
    let mut args = vec![
        "worker",
        "--mailer",
        "smtp",
        "--smtp-url",
        &url,
        "--poll",
        "1s",
        "--shard-items",
        "60",
    ];
    if run_now {
        args.push("--run-now");
    }
    case.command(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map(Worker)
        .expect("the worker starts")
}

/// The daily runs and their shards.
async fn daily_runs(
    store: &Store,
) -> Vec<(
    relance_engine::store::api_runs::RunRow,
    Vec<relance_engine::store::shards::ShardRow>,
)> {
    use relance_engine::store::{api_runs, shards};
    let mut tx = store.begin().await.expect("a transaction");
    let mut runs = Vec::new();
    for run in api_runs::recent(&mut tx, 100).await.expect("runs") {
        let shards = shards::of_run(&mut tx, run.id).await.expect("shards");
        runs.push((run, shards));
    }
    tx.rollback().await.expect("rollback");
    runs
}

/// The recorded actions' keys: account, scenario, step, leader.
async fn action_keys(url: &str) -> BTreeSet<String> {
    let store = Store::open(url).await.expect("the store");
    let mut keys = BTreeSet::new();
    let mut after = 0;
    loop {
        let mut tx = store.begin().await.expect("a transaction");
        let filter = relance_engine::store::actions::ActionFilter {
            after,
            limit: 1000,
            ..Default::default()
        };
        let page = relance_engine::store::actions::list(&mut tx, &filter)
            .await
            .expect("actions");
        tx.rollback().await.expect("rollback");
        let Some(last) = page.last() else { break };
        after = last.id;
        keys.extend(
            page.iter()
                .map(|a| format!("{} {} {} {}", a.account, a.scenario, a.step, a.leader)),
        );
    }
    store.close().await;
    keys
}

#[tokio::test]
async fn four_workers_share_a_sharded_daily_run_and_one_killed_mid_shard_loses_and_repeats_nothing()
{
    let Some(sink) = Sink::start() else { return };
    let Some(pg) = PgDb::create("relance_shards").await else {
        return;
    };
    let case = Case::imported(1500, Some(pg.url.clone()));
    let mut workers: Vec<Worker> = (0..4)
        .map(|n| sharded_worker(&case, &sink, n, n == 0))
        .collect();
    let store = Store::open(&case.db).await.expect("the store");

    // Kill -9 the first worker seen running a shard, in the middle of it.
    let start = Instant::now();
    let (victim, killed_run, killed_shard) = loop {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no shard seen running"
        );
        let running = daily_runs(&store)
            .await
            .into_iter()
            .find_map(|(_, shards)| {
                shards.into_iter().find_map(|s| {
                    let worker = s.worker.as_deref()?;
                    let n = workers
                        .iter()
                        .position(|w| worker.starts_with(&format!("{}.", w.0.id())))?;
                    (s.state == "running").then_some((n, s.run, s.shard))
                })
            });
        if let Some(found) = running {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    workers[victim].0.kill().expect("kill -9");
    workers[victim].0.wait().expect("the victim is gone");

    // The others finish every run (the killed shard taken over once the
    // job queue sees its worker dead) and send everything.
    wait_until(
        "every daily run done",
        Duration::from_secs(600),
        async || {
            let runs = daily_runs(&store).await;
            !runs.is_empty() && runs.iter().all(|(run, _)| run.state == "done")
        },
    )
    .await;
    wait_until(
        "nothing left to send",
        Duration::from_secs(600),
        async || {
            let states = states(&store).await;
            !states.contains_key("queued") && !states.contains_key("sending")
        },
    )
    .await;
    let runs = daily_runs(&store).await;
    let states = states(&store).await;
    store.close().await;
    for (n, w) in workers.iter_mut().enumerate() {
        if n != victim {
            let status = interrupt(w);
            assert!(status.success(), "{}", case.log(&format!("s{n}")));
        }
    }

    // The killed shard was started again and finished by another worker.
    let (_, shards) = runs
        .iter()
        .find(|(run, _)| run.id == killed_run)
        .expect("the killed shard's run");
    let shard = shards
        .iter()
        .find(|s| s.shard == killed_shard)
        .expect("the killed shard");
    assert_eq!(shard.state, "done");
    assert!(shard.attempts >= 2, "{shard:?}");
    let victim_pid = format!("{}.", workers[victim].0.id());
    assert!(
        !shard
            .worker
            .as_deref()
            .unwrap_or("")
            .starts_with(&victim_pid),
        "{shard:?}"
    );
    assert!(
        runs.iter().map(|(_, s)| s.len()).sum::<usize>() > 4,
        "the day was cut into several shards: {runs:?}"
    );

    // What the four recorded is what one process records for the same
    // instant on the same data.
    let request: serde_json::Value =
        serde_json::from_str(&runs[0].0.request).expect("the run's request");
    let at = request["at"]
        .as_str()
        .expect("the run's instant")
        .to_string();
    let reference = Case::imported(1500, None);
    let out = reference.relance(&["run", "--at", &at, "--mailer", "none"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = action_keys(&reference.db).await;
    let recorded = action_keys(&case.db).await;
    assert!(!expected.is_empty());
    assert_eq!(recorded, expected);

    // Each action sent, each once.
    let (ids, actions) = received(&sink);
    let sent = usize::try_from(states.get("sent").copied().unwrap_or(0)).expect("a count");
    assert!(sent > 0, "{states:?}");
    assert_eq!(sink.count(), sent, "no message twice: {states:?}");
    assert_eq!(ids.len(), sent);
    assert_eq!(actions.len(), sent);
    pg.drop_database().await;
}
