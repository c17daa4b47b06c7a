//! One module per subcommand.

pub mod approve;
pub mod bench;
pub mod bench_day;
pub mod bench_deliver;
pub mod bench_reports;
pub mod check;
pub mod deliver;
pub mod demo;
pub mod diff;
pub mod files;
pub mod fmt;
pub mod generate;
pub mod import;
pub mod login;
pub mod plan;
pub mod preview;
pub mod report;
pub mod runs;
pub mod serve;
pub mod simulate;
pub mod status;
pub mod tasks;
pub mod worker;

use std::io::IsTerminal;
use std::path::Path;

use relance_engine::config::LoadError;

use crate::Failure;
use crate::options::Global;

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
) -> relance_engine::status::ChangeStamp {
    let now = chrono::Utc::now();
    relance_engine::status::ChangeStamp {
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
pub async fn open_store(cli: &Global) -> Result<relance_engine::store::Store, Failure> {
    relance_engine::store::Store::open(&cli.db)
        .await
        .map_err(|e| Failure::Other(anyhow::Error::new(e)))
}

/// `relance SUB`, with `--config` and `--db` when they are not the defaults,
/// so that a printed command runs as shown against the same configuration
/// and store.
pub fn command_line(cli: &Global, sub: &str) -> String {
    let mut line = String::from("relance ");
    line.push_str(sub);
    if cli.config != Path::new("config") {
        line.push_str(" --config ");
        line.push_str(&shell_word(&cli.config.display().to_string()));
    }
    if cli.db != "sqlite://relance.db" {
        line.push_str(" --db ");
        line.push_str(&shell_word(&cli.db));
    }
    line
}

/// A word as a POSIX shell reads it back: quoted when it holds anything but
/// letters, digits and `-_./:@=+,%`.
pub fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=+,%".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{command_line, shell_word};
    use crate::options::Global;

    fn options(config: &str, db: &str) -> Global {
        Global {
            config: PathBuf::from(config),
            db: db.to_string(),
            json: false,
            verbose: 0,
            quiet: false,
        }
    }

    #[test]
    fn a_printed_command_names_only_the_options_that_are_not_the_defaults() {
        assert_eq!(
            command_line(&options("config", "sqlite://relance.db"), "approve 3 4"),
            "relance approve 3 4"
        );
        assert_eq!(
            command_line(&options("demo/config", "sqlite://demo/relance.db"), "plan"),
            "relance plan --config demo/config --db sqlite://demo/relance.db"
        );
        assert_eq!(
            command_line(&options("my config", "sqlite://relance.db"), "plan"),
            "relance plan --config 'my config'"
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed_and_read_back_whole() {
        assert_eq!(
            shell_word("postgres://u@h:5432/db"),
            "postgres://u@h:5432/db"
        );
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
    }
}
