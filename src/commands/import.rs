//! `relance import FILES...`: CSV files into the store (docs/reference/data.md).

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use relance_engine::import::{self, DateFormat, FileKind, Full, ImportError, Options, Progress};

use crate::Failure;
use crate::options::Global;

/// The arguments of `relance import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV files, or directories of CSV files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// What the files hold, when their names do not say it.
    #[arg(long, value_parser = ["customers", "contacts", "colleagues", "assignments", "items"])]
    kind: Option<String>,
    /// The items file lists every open item of the customers it mentions:
    /// their other open items are cleared (paid).
    #[arg(long, conflicts_with = "full_all")]
    full: bool,
    /// The items file lists every open item of all customers.
    #[arg(long)]
    full_all: bool,
    /// Check and count, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// How dates are written: `iso` (2026-11-22) or `dmy` (22/11/2026).
    #[arg(long, default_value = "iso", value_parser = ["iso", "dmy"])]
    date_format: String,
    /// The import date (default: today in the settings' timezone).
    #[arg(long)]
    date: Option<chrono::NaiveDate>,
}

/// Runs the command.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let config = super::valid_config(&cli.config)?;
    let stamp = super::stamp(&config, args.date);
    let options = Options {
        kind: args.kind.as_deref().and_then(FileKind::parse),
        full: if args.full_all {
            Full::All
        } else if args.full {
            Full::Mentioned
        } else {
            Full::No
        },
        dry_run: args.dry_run,
        date_format: if args.date_format == "dmy" {
            DateFormat::Dmy
        } else {
            DateFormat::Iso
        },
        today: stamp.today,
        now: stamp.now,
        origin: stamp.origin,
    };
    // A progress bar per file, on a terminal only.
    let bars = !cli.quiet && !cli.json && std::io::stderr().is_terminal();
    let outcome = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let outcome = if bars {
            let bars: Arc<dyn Progress> = Arc::new(Bars::default());
            import::import_with_progress(&store, &config, &args.files, &options, bars).await
        } else {
            import::import(&store, &config, &args.files, &options).await
        };
        store.close().await;
        Ok::<_, Failure>(outcome)
    })?;
    match outcome {
        Ok(report) => {
            if cli.json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?
                );
            } else {
                for f in &report.files {
                    let cleared = if options.full != Full::No && f.kind == "items" {
                        format!(", {} cleared", f.cleared)
                    } else {
                        String::new()
                    };
                    outln!(
                        "{}: {} rows: {} inserted, {} updated, {} unchanged{cleared}",
                        f.file,
                        f.rows,
                        f.inserted,
                        f.updated,
                        f.unchanged
                    );
                }
                if report.dry_run {
                    outln!("dry run: nothing was written");
                }
            }
            Ok(())
        }
        Err(ImportError::Invalid { errors, more }) => {
            if cli.json {
                let doc = serde_json::json!({ "ok": false, "errors": errors, "more": more });
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&doc).map_err(anyhow::Error::from)?
                );
            }
            for e in &errors {
                eprintln!("{e}");
            }
            if more > 0 {
                eprintln!("... and {more} more problems");
            }
            let n = errors.len() + more;
            eprintln!(
                "error: {n} problem{} found; nothing was imported",
                if n == 1 { "" } else { "s" }
            );
            Err(Failure::Reported)
        }
        Err(ImportError::Usage(message)) => Err(Failure::Usage(message)),
        Err(e @ ImportError::Store(_)) => Err(Failure::Other(anyhow::Error::new(e))),
    }
}

/// A progress bar on standard error for the file being read.
#[derive(Debug, Default)]
struct Bars {
    /// The bar of the file being read; none between files.
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, file: &str, total_bytes: u64) {
        let bar = indicatif::ProgressBar::new(total_bytes);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg:>16} [{bar:30}] {bytes}/{total_bytes} {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(file.to_string());
        if let Ok(mut current) = self.bar.lock() {
            *current = Some(bar);
        }
    }

    fn advance(&self, bytes: u64) {
        if let Ok(current) = self.bar.lock()
            && let Some(bar) = current.as_ref()
        {
            bar.inc(bytes);
        }
    }

    fn finish(&self) {
        if let Ok(mut current) = self.bar.lock()
            && let Some(bar) = current.take()
        {
            bar.finish_and_clear();
        }
    }
}
