//! The options every command shares in the spec (`--config`, `--db`,
//! `--json`, `-v/-q`), declared only on the commands that use them: a command
//! wraps its own arguments in [`Plain`], [`Configured`], [`Stored`],
//! [`Service`] or [`Measure`], so `relance token --help` lists no `--db`.
//!
//! The same flags are still accepted before the subcommand (`relance --db D
//! plan`, as scripts written for the earlier global options do), hidden from
//! the help; [`Global::resolve`] merges both places: a flag after the
//! subcommand wins, then one before it, then the environment, then the
//! default.

use std::path::PathBuf;

use clap::ArgMatches;
use clap::parser::ValueSource;

/// `--config`: commands that read a configuration.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigOption {
    /// The configuration directory.
    #[arg(long, env = "RELANCE_CONFIG", default_value = "config")]
    pub config: PathBuf,
}

/// `--db`: commands that read or write the store.
#[derive(Debug, Clone, clap::Args)]
pub struct DbOption {
    /// The store: `sqlite://relance.db` or `postgres://user@host/db`.
    #[arg(long, env = "RELANCE_DB", default_value = "sqlite://relance.db")]
    pub db: String,
}

/// `--json`: commands that print a result.
#[derive(Debug, Clone, clap::Args)]
pub struct JsonOption {
    /// Machine-readable output on stdout (messages go to stderr).
    #[arg(long)]
    pub json: bool,
}

/// `-v/-q`: every command.
#[derive(Debug, Clone, clap::Args)]
pub struct Verbosity {
    /// More messages on stderr.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Fewer messages on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The options a command declared, for [`Global::resolve`].
pub struct Declared<'a> {
    /// `--config`, when the command reads a configuration.
    config: Option<&'a ConfigOption>,
    /// `--db`, when it uses the store.
    db: Option<&'a DbOption>,
    /// `--json`, when it prints a result.
    json: Option<&'a JsonOption>,
    /// `-v/-q`.
    verbosity: &'a Verbosity,
}

/// A command's arguments and the options it declares.
pub trait Declares {
    /// The shared options this command declared.
    fn declared(&self) -> Declared<'_>;
}

/// A command that reads no configuration and no store (`gen`, `token`, `demo`).
#[derive(Debug, clap::Args)]
pub struct Plain<A: clap::Args> {
    /// The command's own arguments.
    #[command(flatten)]
    pub args: A,
    /// `--json`.
    #[command(flatten)]
    json: JsonOption,
    /// `-v/-q`.
    #[command(flatten)]
    verbosity: Verbosity,
}

/// A command that reads a configuration but no store (`check`, `fmt`).
#[derive(Debug, clap::Args)]
pub struct Configured<A: clap::Args> {
    /// The command's own arguments.
    #[command(flatten)]
    pub args: A,
    /// `--config`.
    #[command(flatten)]
    config: ConfigOption,
    /// `--json`.
    #[command(flatten)]
    json: JsonOption,
    /// `-v/-q`.
    #[command(flatten)]
    verbosity: Verbosity,
}

/// A command that reads a configuration and uses the store.
#[derive(Debug, clap::Args)]
pub struct Stored<A: clap::Args> {
    /// The command's own arguments.
    #[command(flatten)]
    pub args: A,
    /// `--config`.
    #[command(flatten)]
    config: ConfigOption,
    /// `--db`.
    #[command(flatten)]
    db: DbOption,
    /// `--json`.
    #[command(flatten)]
    json: JsonOption,
    /// `-v/-q`.
    #[command(flatten)]
    verbosity: Verbosity,
}

/// A long-running command (`serve`, `worker`): a configuration and a store,
/// logs rather than a result, so no `--json`.
#[derive(Debug, clap::Args)]
pub struct Service<A: clap::Args> {
    /// The command's own arguments.
    #[command(flatten)]
    pub args: A,
    /// `--config`.
    #[command(flatten)]
    config: ConfigOption,
    /// `--db`.
    #[command(flatten)]
    db: DbOption,
    /// `-v/-q`.
    #[command(flatten)]
    verbosity: Verbosity,
}

/// A benchmark: a configuration, its own generated stores, a table of
/// timings for people, so no `--db` and no `--json`.
#[derive(Debug, clap::Args)]
pub struct Measure<A: clap::Args> {
    /// The command's own arguments.
    #[command(flatten)]
    pub args: A,
    /// `--config`.
    #[command(flatten)]
    config: ConfigOption,
    /// `-v/-q`.
    #[command(flatten)]
    verbosity: Verbosity,
}

impl<A: clap::Args> Declares for Plain<A> {
    fn declared(&self) -> Declared<'_> {
        Declared {
            config: None,
            db: None,
            json: Some(&self.json),
            verbosity: &self.verbosity,
        }
    }
}

impl<A: clap::Args> Declares for Configured<A> {
    fn declared(&self) -> Declared<'_> {
        Declared {
            config: Some(&self.config),
            db: None,
            json: Some(&self.json),
            verbosity: &self.verbosity,
        }
    }
}

impl<A: clap::Args> Declares for Stored<A> {
    fn declared(&self) -> Declared<'_> {
        Declared {
            config: Some(&self.config),
            db: Some(&self.db),
            json: Some(&self.json),
            verbosity: &self.verbosity,
        }
    }
}

impl<A: clap::Args> Declares for Service<A> {
    fn declared(&self) -> Declared<'_> {
        Declared {
            config: Some(&self.config),
            db: Some(&self.db),
            json: None,
            verbosity: &self.verbosity,
        }
    }
}

impl<A: clap::Args> Declares for Measure<A> {
    fn declared(&self) -> Declared<'_> {
        Declared {
            config: Some(&self.config),
            db: None,
            json: None,
            verbosity: &self.verbosity,
        }
    }
}

/// The same options placed before the subcommand: accepted, not listed.
#[derive(Debug, Clone, clap::Args)]
pub struct Before {
    /// `relance --config D COMMAND`, as scripts of the global option wrote it.
    #[arg(long = "config", hide = true)]
    config: Option<PathBuf>,
    /// `relance --db URL COMMAND`.
    #[arg(long = "db", hide = true)]
    db: Option<String>,
    /// `relance --json COMMAND`.
    #[arg(long = "json", hide = true)]
    json: bool,
    /// `relance -v COMMAND`.
    #[arg(short = 'v', long = "verbose", hide = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// `relance -q COMMAND`.
    #[arg(short = 'q', long = "quiet", hide = true)]
    quiet: bool,
}

/// The options in force for the command being run.
#[derive(Debug, Clone)]
pub struct Global {
    /// The configuration directory (the default for a command that reads none).
    pub config: PathBuf,
    /// The store's URL (the default for a command that uses none).
    pub db: String,
    /// Machine-readable output on stdout.
    pub json: bool,
    /// How many `-v`.
    pub verbose: u8,
    /// `-q`.
    pub quiet: bool,
}

impl Global {
    /// Merges what the command declared with the same flags given before the
    /// subcommand; `matches` are the whole command line's.
    pub fn resolve(before: &Before, declared: &Declared<'_>, matches: &ArgMatches) -> Global {
        // The deepest subcommand that declares the options (`files purge`
        // declares them on `files`).
        let mut chain = Vec::new();
        let mut leaf = matches;
        while let Some((_, sub)) = leaf.subcommand() {
            chain.push(sub);
            leaf = sub;
        }
        let typed = |id: &str| {
            chain.iter().rev().any(|m| {
                m.try_contains_id(id).is_ok()
                    && m.value_source(id) == Some(ValueSource::CommandLine)
            })
        };
        let config = match (declared.config, &before.config) {
            (Some(_), Some(b)) if !typed("config") => b.clone(),
            (Some(c), _) => c.config.clone(),
            (None, _) => PathBuf::from("config"),
        };
        let db = match (declared.db, &before.db) {
            (Some(_), Some(b)) if !typed("db") => b.clone(),
            (Some(d), _) => d.db.clone(),
            (None, _) => "sqlite://relance.db".to_string(),
        };
        Global {
            config,
            db,
            json: declared.json.is_some_and(|j| j.json) || (declared.json.is_some() && before.json),
            verbose: declared.verbosity.verbose.saturating_add(before.verbose),
            quiet: declared.verbosity.quiet || before.quiet,
        }
    }
}
