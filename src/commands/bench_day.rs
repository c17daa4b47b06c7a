//! `relance bench day`: the whole daily cycle of a generated portfolio on
//! SQLite, phase by phase, each beside its floor measured in the same run
//! (docs/performance.md, "The whole day"): the ERP's re-import with 2% of
//! the items changed (floor: `sqlite3 .import` of the same file), the run
//! that plans and records (floor: one SQL aggregate over the open items),
//! then rendering and sending every email to Postfix's `smtp-sink`, which
//! the bench starts (floor: Postfix's `smtp-source` sending as many
//! messages of their mean size over as many connections to the same sink).

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use relance_engine::import;
use relance_engine::run::{self, Selection, When};
use relance_engine::store::Store;

use super::bench::{self, fail, peak_rss_mib};
use super::bench_deliver::{sample_messages, smtp_delivery, smtp_source};
use crate::Failure;
use crate::options::Global;

/// The arguments of `relance bench day`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Customers to generate.
    #[arg(long, default_value_t = 100_000)]
    customers: usize,
    /// Items to generate.
    #[arg(long, default_value_t = 1_000_000)]
    items: usize,
    /// SMTP connections (relance's and `smtp-source`'s).
    #[arg(long, default_value_t = 8)]
    connections: u32,
    /// Concurrent delivery passes.
    #[arg(long, default_value_t = 1)]
    deliverers: usize,
    /// Actions claimed per delivery batch.
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// The port `smtp-sink` listens on (127.0.0.1).
    #[arg(long, default_value_t = 2727)]
    sink_port: u16,
}

/// One phase of the day and its floor.
#[derive(Debug, serde::Serialize)]
struct Phase {
    /// `import`, `run` or `send`.
    name: &'static str,
    /// relance's seconds.
    seconds: f64,
    /// What the floor is.
    floor: String,
    /// The floor's seconds (`None`: not measured).
    floor_seconds: Option<f64>,
    /// relance ÷ floor.
    ratio: Option<f64>,
}

/// The figures `--json` prints.
#[derive(Debug, serde::Serialize)]
struct Day {
    customers: usize,
    items: usize,
    changed_items: u64,
    actions: usize,
    emails_sent: usize,
    phases: Vec<Phase>,
    total_seconds: f64,
    send_rate: f64,
    floor_rate: Option<f64>,
    rate_ratio: Option<f64>,
    peak_mib: Option<f64>,
    within_target: bool,
}

/// `smtp-sink`, stopped when dropped.
struct SmtpSink(std::process::Child);

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Postfix's `smtp-sink` on 127.0.0.1:`port` (as `nobody` when
/// root), and waits until it accepts connections.
fn start_sink(port: u16) -> Result<SmtpSink, Failure> {
    let address = format!("127.0.0.1:{port}");
    let mut command = std::process::Command::new("smtp-sink");
    if std::env::var("USER").is_ok_and(|u| u == "root") || is_root() {
        command.args(["-u", "nobody"]);
    }
    let child = command
        .args(["-c", &address, "1000"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| {
            fail(anyhow::anyhow!(
                "starting smtp-sink (Debian's postfix package): {e}"
            ))
        })?;
    let sink = SmtpSink(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(&address).is_err() {
        if started.elapsed() > std::time::Duration::from_secs(10) {
            return Err(fail(anyhow::anyhow!(
                "smtp-sink does not listen on {address}"
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Ok(sink)
}

/// Whether this process runs as root (smtp-sink then wants `-u`).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

/// Runs the command.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let (planner, templates) = super::compiled(&cli.config)?;
    let planner = Arc::new(planner);
    let composer = Arc::new(
        relance_worker::render::Composer::new(planner.clone(), templates)
            .map_err(|e| fail(anyhow::anyhow!("{e}")))?,
    );
    let work = tempfile::tempdir().map_err(fail)?;
    let today = bench::bench_day();
    let say = |line: String| {
        if !cli.json {
            outln!("{line}");
        }
    };
    let sink = start_sink(args.sink_port)?;
    let smtp_url = format!("smtp://127.0.0.1:{}", args.sink_port);

    let day = super::runtime()?.block_on(async {
        // Setup: the portfolio generated and imported once.
        let t = Instant::now();
        let url = bench::generated_store_quiet(
            &planner,
            (args.customers, args.items),
            work.path(),
            today,
        )
        .await?;
        say(format!(
            "setup: {} customers, {} items generated and imported in {:.1} s",
            args.customers,
            args.items,
            t.elapsed().as_secs_f64()
        ));
        let store = Store::open(&url).await.map_err(fail)?;

        // 1. The daily sync: the items again, 2% changed.
        let changed_file = work.path().join("items-changed.csv");
        let changed = bench::write_changed(&work.path().join("data/items.csv"), &changed_file)
            .map_err(fail)?;
        let mut options = bench::bench_options(today);
        options.kind = Some(import::FileKind::Items);
        let t = Instant::now();
        import::import(
            &store,
            &planner.config,
            std::slice::from_ref(&changed_file),
            &options,
        )
        .await
        .map_err(fail)?;
        let import_secs = t.elapsed().as_secs_f64();
        let import_floor = bench::sqlite3_import(&work.path().join("raw.db"), &changed_file).ok();

        // 2. The run: plan and record.
        let t = Instant::now();
        let outcome = run::run(
            &store,
            &planner,
            When::Date(today),
            &Selection::all(&planner),
            Utc::now(),
            "bench",
        )
        .await
        .map_err(fail)?;
        let run_secs = t.elapsed().as_secs_f64();
        let actions = outcome.recorded.len();
        drop(outcome);
        let run_floor = bench::raw_aggregate(&store)
            .await
            .ok()
            .map(|(_, secs)| secs);

        // 3. Render and send every email.
        let delivery = smtp_delivery(
            &store,
            &planner,
            &composer,
            (&smtp_url, args.connections, args.batch),
            &work.path().join("outbox"),
        )?;
        let t = Instant::now();
        let mut passes = tokio::task::JoinSet::new();
        for _ in 0..args.deliverers.max(1) {
            let d = delivery.clone();
            passes.spawn(async move { d.deliver_due(Utc::now()).await });
        }
        let mut sent = 0;
        while let Some(done) = passes.join_next().await {
            sent += done.map_err(fail)?.map_err(fail)?.sent;
        }
        let send_secs = t.elapsed().as_secs_f64();
        let peak = peak_rss_mib();

        // The floor of sending: as many messages of their mean size.
        let sample = {
            let mut tx = store.begin().await.map_err(fail)?;
            let codes = relance_engine::store::facts::account_codes(&mut tx, None, 500)
                .await
                .map_err(fail)?;
            tx.rollback().await.map_err(fail)?;
            let accounts = run::load_accounts(&store, &planner, codes)
                .await
                .map_err(fail)?;
            sample_messages(&composer, &accounts, today, 500)?
        };
        let size = sample.iter().map(|m| m.formatted().len()).sum::<usize>() / sample.len().max(1);
        let send_floor = smtp_source(&smtp_url, sent, size, args.connections);
        store.close().await;

        let ratio = |ours: f64, floor: Option<f64>| floor.map(|f| ours / f);
        let phases = vec![
            Phase {
                name: "import",
                seconds: import_secs,
                floor: "sqlite3 .import of the same items file".into(),
                floor_seconds: import_floor,
                ratio: ratio(import_secs, import_floor),
            },
            Phase {
                name: "run",
                seconds: run_secs,
                floor: "one SQL aggregate over the open items".into(),
                floor_seconds: run_floor,
                ratio: ratio(run_secs, run_floor),
            },
            Phase {
                name: "send",
                seconds: send_secs,
                floor: format!("smtp-source -s {} -m {sent} -l {size}", args.connections),
                floor_seconds: send_floor,
                ratio: ratio(send_secs, send_floor),
            },
        ];
        let total = import_secs + run_secs + send_secs;
        let send_rate = sent as f64 / send_secs;
        let floor_rate = send_floor.map(|s| sent as f64 / s);
        let rate_ratio = floor_rate.map(|f| send_rate / f);
        Ok::<_, Failure>(Day {
            customers: args.customers,
            items: args.items,
            changed_items: changed,
            actions,
            emails_sent: sent,
            within_target: total < 60.0
                && rate_ratio.is_some_and(|r| r >= 0.8)
                && peak.is_some_and(|p| p < 1024.0),
            phases,
            total_seconds: total,
            send_rate,
            floor_rate,
            rate_ratio,
            peak_mib: peak,
        })
    })?;
    drop(sink);

    if cli.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&day).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    outln!(
        "the day: {} items re-imported ({} changed), {} actions recorded, {} emails sent",
        day.items,
        day.changed_items,
        day.actions,
        day.emails_sent
    );
    for p in &day.phases {
        match (p.floor_seconds, p.ratio) {
            (Some(f), Some(r)) => outln!(
                "  {:<7} {:>7.2} s   floor {:>7.2} s ({})   ratio {r:.2}",
                p.name,
                p.seconds,
                f,
                p.floor
            ),
            _ => outln!(
                "  {:<7} {:>7.2} s   floor not measured ({})",
                p.name,
                p.seconds,
                p.floor
            ),
        }
    }
    outln!(
        "whole day: {:.1} s (target < 60 s); sending {:.0} emails/s{}; peak memory {} (target < 1024 MiB)",
        day.total_seconds,
        day.send_rate,
        match (day.floor_rate, day.rate_ratio) {
            (Some(f), Some(r)) => format!(" vs smtp-source {f:.0}/s = {r:.2} (target >= 0.80)"),
            _ => String::new(),
        },
        day.peak_mib
            .map_or("not measured".to_string(), |p| format!("{p:.0} MiB"))
    );
    outln!(
        "{}",
        if day.within_target {
            "every target met"
        } else {
            "a target is missed"
        }
    );
    Ok(())
}
