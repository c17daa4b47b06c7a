//! `relance demo`: from nothing to a running example in one command. Writes
//! the example configuration (embedded in the binary), generates a few
//! hundred customers, imports them into a SQLite store, runs today's
//! collection with the file mailer, and prints what happened.
//!
//! Everything lives in one directory (default `./relance-demo`), marked by a
//! `.relance-demo` file. Run again, the demo starts over in that directory
//! (configuration, data, store and outbox are rewritten); a directory that
//! exists without the mark and is not empty is refused, so the demo never
//! overwrites someone's files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use chrono::Utc;
use include_dir::{Dir, include_dir};
use relance_engine::import::{self, DateFormat, Full};
use relance_engine::run::{self, Selection, When};
use relance_engine::store::Store;
use relance_engine::synthetic::{self, GenOptions};

use super::deliver::{self, MailArgs, MailerKind};
use crate::{Cli, Failure};

/// The example configuration (the repository's `config/`).
static CONFIG: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/config");

const MARK: &str = ".relance-demo";

/// The arguments of `relance demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the demo lives.
    #[arg(long, default_value = "relance-demo")]
    dir: PathBuf,
    /// How many customers to generate.
    #[arg(long, default_value_t = 300)]
    customers: usize,
}

/// Runs the demo.
pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let dir = &args.dir;
    prepare(dir)?;
    let config_dir = dir.join("config");
    std::fs::create_dir_all(&config_dir)
        .with_context(|| format!("creating {}", config_dir.display()))?;
    CONFIG.extract(&config_dir).with_context(|| {
        format!(
            "writing the example configuration into {}",
            config_dir.display()
        )
    })?;
    let report = super::valid_report(&config_dir)?;
    let config = report.checked.config.clone();
    let (planner, templates) = super::compiled(&config_dir)?;
    let planner = Arc::new(planner);

    let now = Utc::now();
    let today = now.with_timezone(&config.settings.timezone).date_naive();
    let data = dir.join("data");
    let summary = synthetic::generate(
        &data,
        &GenOptions {
            customers: args.customers,
            items: args.customers * 5,
            seed: 1,
            today,
        },
    )
    .context("generating the demo data")?;
    let db = format!("sqlite://{}", dir.join("relance.db").display());
    let outbox = dir.join("outbox");
    let origin = format!("demo:{}", now.format("%Y%m%dT%H%M%SZ"));

    let (counts, report) = super::runtime()?.block_on(async {
        let store = Store::open(&db)
            .await
            .map_err(|e| Failure::Other(e.into()))?;
        let result = async {
            let options = import::Options {
                kind: None,
                full: Full::No,
                dry_run: false,
                date_format: DateFormat::Iso,
                today,
                now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                origin: "demo".into(),
                progress: false,
            };
            import::import(&store, &config, std::slice::from_ref(&data), &options)
                .await
                .map_err(|e| anyhow::anyhow!("importing the demo data: {e}"))?;
            run::run(
                &store,
                &planner,
                When::Date(today),
                &Selection::all(&planner),
                now,
                &origin,
            )
            .await
            .context("running today's collection")?;
            let mail = MailArgs {
                smtp_url: None,
                outbox: outbox.clone(),
                tries: 1,
                retry_after: std::time::Duration::from_secs(60),
                lease: std::time::Duration::from_secs(600),
                smtp_connections: 1,
                batch: 256,
            };
            let delivery = deliver::delivery(
                &store,
                planner.clone(),
                templates,
                MailerKind::File,
                &mail,
                &origin,
            )?;
            let report = delivery
                .deliver_due(now)
                .await
                .context("writing the emails")?;
            let counts = relance_engine::store::delivery::counts(&store)
                .await
                .context("counting")?;
            Ok::<_, Failure>((counts, report))
        }
        .await;
        store.close().await;
        result
    })?;

    if cli.quiet {
        return Ok(());
    }
    outln!(
        "relance demo in {}: {} customers, {} items, today {today}",
        dir.display(),
        summary.customers,
        summary.items
    );
    outln!("");
    outln!(
        "{:<14} {:<14} {:<16} {:>7}",
        "scenario",
        "step",
        "state",
        "actions"
    );
    let mut total = 0;
    for (scenario, step, state, n) in &counts.actions {
        outln!("{scenario:<14} {step:<14} {state:<16} {n:>7}");
        total += n;
    }
    outln!("{:<14} {:<14} {:<16} {total:>7}", "total", "", "");
    outln!("");
    outln!("{:<20} {:>7}", "open alerts", "count");
    for (alert, n) in &counts.alerts {
        outln!("{alert:<20} {n:>7}");
    }
    outln!("");
    outln!(
        "{} emails and {} letters are in {}",
        report.sent,
        report.letters,
        outbox.display()
    );
    outln!("look around:");
    outln!(
        "  relance --config {} --db {db} plan --explain",
        config_dir.display()
    );
    outln!("  ls {}", outbox.display());
    Ok(())
}

/// Makes `dir` ready: created and marked, or started over when it holds an
/// earlier demo; refused when it holds anything else.
fn prepare(dir: &Path) -> Result<(), Failure> {
    if dir.exists() {
        let marked = dir.join(MARK).exists();
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
        if !marked && !empty {
            return Err(Failure::Usage(format!(
                "{} exists and is not a relance demo: choose another --dir",
                dir.display()
            )));
        }
        if marked {
            eprintln!("{} holds an earlier demo: starting over", dir.display());
            for name in ["config", "data", "outbox"] {
                let path = dir.join(name);
                if path.exists() {
                    std::fs::remove_dir_all(&path)
                        .with_context(|| format!("removing {}", path.display()))?;
                }
            }
            for name in ["relance.db", "relance.db-wal", "relance.db-shm"] {
                let path = dir.join(name);
                if path.exists() {
                    std::fs::remove_file(&path)
                        .with_context(|| format!("removing {}", path.display()))?;
                }
            }
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(
        dir.join(MARK),
        "This directory was made by `relance demo`; running it again starts over here.\n",
    )
    .with_context(|| format!("writing {}", dir.join(MARK).display()))?;
    Ok(())
}
