//! One module per subcommand.

pub mod approve;
pub mod bench;
pub mod bench_deliver;
pub mod check;
pub mod deliver;
pub mod demo;
pub mod diff;
pub mod fmt;
pub mod generate;
pub mod import;
pub mod plan;
pub mod preview;
pub mod serve;
pub mod simulate;
pub mod status;
pub mod worker;

use std::io::IsTerminal;
use std::path::Path;

use relance_engine::config::LoadError;

use crate::{Cli, Failure};

/// Whether stderr gets colours.
pub fn color_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Reads a configuration directory, mapping "no such directory" to a usage error.
pub fn read_config(dir: &Path) -> Result<relance_engine::config::Loaded, Failure> {
    relance_engine::config::read_dir(dir).map_err(|e| match e {
        LoadError::NotFound(_) | LoadError::NotADirectory(_) => Failure::Usage(e.to_string()),
        other => Failure::Other(anyhow::Error::new(other)),
    })
}

/// Loads a configuration that must be valid (commands other than `check`).
pub fn valid_config(dir: &Path) -> Result<relance_dsl::model::Config, Failure> {
    valid_report(dir).map(|r| r.checked.config)
}

/// Loads a configuration that must be valid, with its sources.
pub fn valid_report(dir: &Path) -> Result<relance_engine::config::Report, Failure> {
    let report = relance_engine::config::check(read_config(dir)?);
    if report.has_errors() {
        let errors: Vec<_> = report
            .checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        eprint!(
            "{}",
            relance_dsl::diagnostic::render(&errors, &report.sources, color_stderr())
        );
        eprintln!(
            "error: the configuration in {} is invalid (see `relance check`)",
            dir.display()
        );
        return Err(Failure::Reported);
    }
    Ok(report)
}

/// Today in the settings' timezone (or the given date), now, and `cli` as origin.
pub fn stamp(
    config: &relance_dsl::model::Config,
    date: Option<chrono::NaiveDate>,
) -> relance_engine::status::Stamp {
    let now = chrono::Utc::now();
    relance_engine::status::Stamp {
        today: date.unwrap_or_else(|| now.with_timezone(&config.settings.timezone).date_naive()),
        now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        origin: "cli".into(),
    }
}

/// A runtime for the commands that use the store.
/// A valid configuration compiled for planning and rendering: the planner
/// and the templates.
pub fn compiled(
    dir: &Path,
) -> Result<
    (
        relance_engine::planner::Planner,
        relance_templates::Templates,
    ),
    Failure,
> {
    use anyhow::Context as _;
    let report = valid_report(dir)?;
    let planner = relance_engine::planner::Planner::new(&report.checked.config, &report.sources)
        .with_context(|| format!("compiling the configuration in {}", dir.display()))?;
    let templates = relance_engine::config::templates(&report.sources, &report.checked.config)
        .with_context(|| format!("loading the templates in {}", dir.display()))?;
    Ok((planner, templates))
}

pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(anyhow::Error::new(e).context("starting the runtime")))
}

/// Opens the store named by `--db`.
pub async fn open_store(cli: &Cli) -> Result<relance_engine::store::Store, Failure> {
    relance_engine::store::Store::open(&cli.db)
        .await
        .map_err(|e| Failure::Other(anyhow::Error::new(e)))
}
