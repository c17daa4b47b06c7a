//! `relance bench deliver`: composing and sending N emails through the
//! worker's delivery (claim, re-read, compose, send, record) to a local SMTP
//! sink, beside the floor: Postfix's `smtp-source` sending as many messages
//! of the same mean size over the same number of connections to the same
//! sink (when it is installed), and lettre's own pooled transport sending
//! the prepared messages (which, without `TCP_NODELAY`, waits on delayed
//! acknowledgements: docs/delivery.md "Connections"). Start a sink first, e.g.
//! `python3 tests/smtp_sink.py --discard` (it prints its port).

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use lettre::AsyncTransport as _;
use relance_engine::import::{self, DateFormat, Full, Options};
use relance_engine::run::{self, Selection, When};
use relance_engine::store::Store;
use relance_worker::compose::Compose as _;
use relance_worker::deliver::{Delivery, Options as DeliverOptions, Report, Retry};
use relance_worker::mailer::Mailer;

use crate::Failure;
use crate::options::Global;

/// The arguments of `relance bench deliver`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Emails to send (one per generated customer).
    #[arg(long, default_value_t = 100_000)]
    emails: usize,
    /// The SMTP sink (`smtp://127.0.0.1:PORT`); nothing else should listen there.
    #[arg(long, env = "RELANCE_SMTP_URL", hide_env_values = true)]
    smtp_url: String,
    /// SMTP connections in the pool (both measurements).
    #[arg(long, default_value_t = 8)]
    connections: u32,
    /// Concurrent delivery passes (as `relance worker --deliverers`).
    #[arg(long, default_value_t = 1)]
    deliverers: usize,
    /// Actions claimed per batch.
    #[arg(long, default_value_t = 256)]
    batch: usize,
}

fn fail(e: impl Into<anyhow::Error>) -> Failure {
    Failure::Other(e.into())
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// One customer per email, one invoice each, all at `reminder_1` on 2026-11-09.
fn write_data(dir: &std::path::Path, n: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut files = [
        ("customers.csv", "code,name\n"),
        ("contacts.csv", "customer,email,role\n"),
        ("assignments.csv", "customer,colleague\n"),
        ("items.csv", "customer,reference,type,due_date,amount\n"),
    ]
    .map(|(name, head)| {
        let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
        w.write_all(head.as_bytes())?;
        Ok::<_, std::io::Error>(w)
    });
    for w in &files {
        if let Err(e) = w {
            return Err(std::io::Error::new(e.kind(), e.to_string()));
        }
    }
    for i in 1..=n {
        let lines = [
            format!("B{i:07},Customer {i}\n"),
            format!("B{i:07},ap@b{i:07}.example,billing\n"),
            format!("B{i:07},julie@acme.example\n"),
            format!("B{i:07},INV-{i},invoice,2026-11-01,100\n"),
        ];
        for (w, line) in files.iter_mut().zip(lines) {
            if let Ok(w) = w {
                w.write_all(line.as_bytes())?;
            }
        }
    }
    for w in files.iter_mut().flatten() {
        w.flush()?;
    }
    std::fs::write(
        dir.join("colleagues.csv"),
        "email,name,role\njulie@acme.example,Julie,collector\n",
    )
}

/// Runs the benchmark.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let (planner, templates) = super::compiled(&cli.config)?;
    let planner = Arc::new(planner);
    let composer = Arc::new(
        relance_worker::render::Composer::new(planner.clone(), templates)
            .map_err(|e| fail(anyhow::anyhow!("{e}")))?,
    );
    let work = tempfile::tempdir().map_err(fail)?;
    let data = work.path().join("data");
    write_data(&data, args.emails).map_err(fail)?;
    let url = format!("sqlite://{}", work.path().join("bench.db").display());
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 9).unwrap_or_default();
    super::runtime()?.block_on(async {
        let store = Store::open(&url).await.map_err(fail)?;
        let t = Instant::now();
        let options = Options {
            kind: None,
            full: Full::No,
            dry_run: false,
            date_format: DateFormat::Iso,
            today: date,
            now: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            origin: "bench".into(),
        };
        import::import(&store, &planner.config, std::slice::from_ref(&data), &options)
            .await
            .map_err(|e| anyhow::anyhow!("importing: {e}"))?;
        let outcome = run::run(
            &store,
            &planner,
            When::Date(date),
            &Selection::all(&planner),
            Utc::now(),
            "bench",
        )
        .await
        .map_err(fail)?;
        outln!(
            "setup: {} customers imported, {} actions recorded in {:.1} s",
            args.emails,
            outcome.recorded.len(),
            t.elapsed().as_secs_f64()
        );
        drop(outcome);

        // 1. The worker's delivery: claim, re-read, compose, send, record.
        let delivery = smtp_delivery(
            &store,
            &planner,
            &composer,
            (&args.smtp_url, args.connections, args.batch),
            &work.path().join("outbox"),
        )?;
        let t = Instant::now();
        let mut passes = tokio::task::JoinSet::new();
        for _ in 0..args.deliverers.max(1) {
            let d = delivery.clone();
            passes.spawn(async move { d.deliver_due(Utc::now()).await });
        }
        let mut report = Report::default();
        while let Some(done) = passes.join_next().await {
            let r = done.map_err(fail)?.map_err(fail)?;
            report.sent += r.sent;
            report.failed += r.failed;
            report.retried += r.retried;
        }
        let ours = t.elapsed().as_secs_f64();
        let ours_rate = report.sent as f64 / ours;
        outln!(
            "relance delivery: {} sent ({} failed, {} to retry) in {ours:.1} s: {ours_rate:.0} emails/s",
            report.sent,
            report.failed,
            report.retried
        );

        // 2. The same messages prepared, for lettre's pooled transport (its
        // first 2,000: at its rate more would take minutes) and the floor's
        // size.
        let accounts = run::load(&store, &Selection::all(&planner)).await.map_err(fail)?;
        let messages = sample_messages(&composer, &accounts, date, args.emails)?;
        drop(accounts);
        let delivery_peak = peak_rss_mib();
        let Some(transport) = Mailer::smtp(&args.smtp_url, args.connections)
            .map_err(fail)?
            .transport()
        else {
            return Err(fail(anyhow::anyhow!("not an SMTP mailer")));
        };
        let n = messages.len();
        // The mean size of the messages, for the floor's.
        let size = messages.iter().map(|m| m.formatted().len()).sum::<usize>() / n.max(1);
        let t = Instant::now();
        let slots = Arc::new(tokio::sync::Semaphore::new(
            (args.connections as usize).max(1),
        ));
        let mut sends = tokio::task::JoinSet::new();
        let mut ok = 0usize;
        let sample = n.min(2_000);
        for m in messages.into_iter().take(sample) {
            let permit = slots.clone().acquire_owned().await.map_err(fail)?;
            let transport = transport.clone();
            sends.spawn(async move {
                let sent = transport.send(m).await.is_ok();
                drop(permit);
                sent
            });
            while let Some(done) = sends.try_join_next() {
                ok += usize::from(done.unwrap_or(false));
            }
        }
        while let Some(done) = sends.join_next().await {
            ok += usize::from(done.unwrap_or(false));
        }
        let raw = t.elapsed().as_secs_f64();
        let raw_rate = ok as f64 / raw;
        outln!(
            "lettre's pooled transport: {ok} of {sample} sent in {raw:.1} s: {raw_rate:.0} emails/s \
             (relance is {:.1}× as fast)",
            ours_rate / raw_rate
        );
        match smtp_source(&args.smtp_url, n, size, args.connections) {
            Some(secs) => {
                let floor_rate = n as f64 / secs;
                outln!(
                    "floor, smtp-source -s {} -m {n} -l {size}: {secs:.1} s: {floor_rate:.0} emails/s; \
                     relance/smtp-source = {:.2} (target >= 0.80)",
                    args.connections,
                    ours_rate / floor_rate
                );
            }
            None => outln!("floor: smtp-source (Debian's postfix) not found or failed: not measured"),
        }
        if let Some(peak) = delivery_peak {
            outln!("peak memory through setup and delivery: {peak:.0} MiB");
        }
        if let Some(peak) = peak_rss_mib() {
            outln!("peak memory with the {n} prepared messages: {peak:.0} MiB");
        }
        store.close().await;
        Ok::<_, Failure>(())
    })
}

/// Seconds Postfix's `smtp-source` takes to send `n` messages of `size`
/// bytes over `connections` connections to the sink of `url`; `None`
/// without it.
pub(crate) fn smtp_source(url: &str, n: usize, size: usize, connections: u32) -> Option<f64> {
    let address = url
        .strip_prefix("smtp://")?
        .split(['/', '?'])
        .next()?
        .rsplit('@')
        .next()?
        .to_string();
    let address = if address.contains(':') {
        address
    } else {
        format!("{address}:25")
    };
    let t = Instant::now();
    let status = std::process::Command::new("smtp-source")
        .args(["-s", &connections.to_string(), "-m", &n.to_string()])
        .args(["-l", &size.to_string()])
        .args(["-f", "relance@bench.invalid", "-t", "sink@bench.invalid"])
        .arg(&address)
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| t.elapsed().as_secs_f64())
}

/// The worker's delivery to the SMTP server of `url`, over `connections`
/// connections, claiming `batch` actions at a time, as `relance worker` sets
/// it up (no send windows: a benchmark runs at any hour).
pub(crate) fn smtp_delivery(
    store: &Store,
    planner: &Arc<relance_engine::planner::Planner>,
    composer: &Arc<relance_worker::render::Composer>,
    (url, connections, batch): (&str, u32, usize),
    outbox: &std::path::Path,
) -> Result<Delivery, Failure> {
    let mailer = Mailer::smtp(url, connections).map_err(fail)?;
    Ok(Delivery {
        shared: relance_worker::deliver::Shared::default(),
        store: store.clone(),
        planner: planner.clone(),
        composer: composer.clone(),
        mailer,
        options: DeliverOptions {
            outbox: outbox.to_path_buf(),
            retry: Retry::default(),
            lease: Duration::from_secs(3600),
            batch,
            windows: false,
            worker: "bench".into(),
            origin: "bench".into(),
        },
    })
}

/// A first reminder to each of the first `n` accounts, composed as the
/// worker composes it: what the floor's messages are sized on.
pub(crate) fn sample_messages(
    composer: &relance_worker::render::Composer,
    accounts: &[relance_engine::planner::Account],
    date: chrono::NaiveDate,
    n: usize,
) -> Result<Vec<lettre::Message>, Failure> {
    let kinds = vec!["email".to_string()];
    let mut messages = Vec::with_capacity(n.min(accounts.len()));
    for (i, account) in accounts.iter().enumerate().take(n) {
        let to = vec![format!("ap@{}.example", account.code.to_lowercase())];
        let items = vec![relance_engine::planner::ItemKey::new(
            account.code.as_str(),
            format!("INV-{}", i + 1),
        )];
        let mid = format!("<raw.{i}@bench.invalid>");
        let out = relance_worker::compose::Outgoing {
            id: i64::try_from(i).unwrap_or(i64::MAX),
            message_id: &mid,
            run_date: date,
            scenario: "standard",
            step: "reminder_1",
            kinds: &kinds,
            template: Some("reminder_1"),
            to: &to,
            cc: &[],
            items: &items,
            account,
            files: &[],
            interactive: None,
        };
        if let Some(m) = composer.compose(&out).map_err(fail)?.email {
            messages.push(m);
        }
    }
    Ok(messages)
}
