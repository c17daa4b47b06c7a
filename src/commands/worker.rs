//! `relance worker`: the scheduled worker (daily runs per timezone, sending,
//! retries) until Ctrl-C, then a graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveTime;
use relance_worker::jobs::{self, WorkerOptions};

use super::deliver::{self, MailArgs, MailerKind, parse_duration};
use crate::Failure;
use crate::options::Global;

/// The arguments of `relance worker`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How to deliver.
    #[arg(long, value_enum, default_value = "smtp")]
    mailer: MailerKind,
    #[command(flatten)]
    mail: MailArgs,
    /// Local time of the daily run in each timezone (HH:MM).
    #[arg(long, default_value = "07:00")]
    daily_at: NaiveTime,
    /// How often due actions are looked for (retries, send windows, approvals).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    poll: Duration,
    /// Concurrent delivery jobs in this process.
    #[arg(long, default_value_t = 1)]
    deliverers: usize,
    /// Open items per shard of a daily run: each shard is a job any worker
    /// takes (docs/operations.md).
    #[arg(long, default_value_t = relance_engine::shards::ITEMS_PER_SHARD)]
    shard_items: usize,
    /// Start the daily run of every timezone now, as the daily tick would
    /// (a run already done today is not run again).
    #[arg(long)]
    run_now: bool,
}

/// Runs the worker.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let (planner, templates) = super::compiled(&cli.config)?;
    let planner = Arc::new(planner);
    let origin = format!("worker:{}", std::process::id());
    super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let delivery =
            deliver::delivery(&store, planner, templates, args.mailer, &args.mail, &origin)?;
        let options = WorkerOptions {
            daily_at: args.daily_at,
            poll: args.poll,
            deliverers: args.deliverers,
            shard_items: args.shard_items,
            run_now: args.run_now,
            files: match (&args.mail.files.files_dir, store.sqlite_file()) {
                (None, None) => {
                    tracing::warn!("no file store (--files DIR): attached files are not purged");
                    None
                }
                _ => Some(args.mail.files.open(&store)?),
            },
            ..WorkerOptions::default()
        };
        // Ctrl-C, or SIGTERM from a service manager.
        let shutdown = async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                match signal(SignalKind::terminate()) {
                    Ok(mut term) => {
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {}
                            _ = term.recv() => {}
                        }
                    }
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
        };
        let result = jobs::run_worker(delivery, options, shutdown).await;
        store.close().await;
        result.map_err(|e| Failure::Other(e.into()))
    })
}
