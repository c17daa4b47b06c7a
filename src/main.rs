//! `relance`: the command line (spec/CLI.md). It parses arguments, wires the
//! crates together and turns errors into messages and exit codes:
//! 0 success, 1 the work failed (invalid configuration...), 2 usage errors.

#![forbid(unsafe_code)]

/// `println!` that ends the process quietly when stdout is closed (`relance
/// plan | head`) instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::write_out(format_args!($($t)*))
    };
}

mod commands;

/// Planning and importing allocate many small values on one thread and free
/// them on another; mimalloc does this several times cheaper than the
/// system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Writes a line to stdout; a closed pipe ends the process with success.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to stdout: {e}");
        std::process::exit(1);
    }
}

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Collection (dunning) workflow and rules engine.
#[derive(Debug, Parser)]
#[command(name = "relance", version, about, propagate_version = true)]
pub struct Cli {
    /// The configuration directory.
    #[arg(long, global = true, env = "RELANCE_CONFIG", default_value = "config")]
    config: PathBuf,
    /// The store: `sqlite://relance.db` or `postgres://user@host/db`.
    #[arg(
        long,
        global = true,
        env = "RELANCE_DB",
        default_value = "sqlite://relance.db"
    )]
    db: String,
    /// Machine-readable output on stdout (messages go to stderr).
    #[arg(long, global = true)]
    json: bool,
    /// More messages on stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Fewer messages on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a configuration directory (exit 0 valid, 1 invalid).
    Check {
        /// The directory (default: --config).
        dir: Option<PathBuf>,
    },
    /// Rewrite `.relance` files in the canonical layout.
    Fmt {
        /// The directory (default: --config).
        dir: Option<PathBuf>,
        /// Change nothing; exit 1 when a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Import CSV files (customers, contacts, colleagues, assignments, items).
    Import(commands::import::Args),
    /// The day's actions, alerts and escalations, recording nothing.
    Plan(commands::plan::PlanArgs),
    /// Plan the day, record it, and deliver.
    Run(commands::plan::RunArgs),
    /// Replay each day between two dates in memory: the timeline each account would follow.
    Simulate(commands::simulate::Args),
    /// Compare the day's actions with those of another configuration.
    Diff(commands::diff::Args),
    /// Qualify items: promise to pay, dispute...
    #[command(subcommand)]
    Status(commands::status::Args),
    /// Render the email or letter a step would produce for an account.
    Preview(commands::preview::Args),
    /// Approve `review` actions waiting for review (all or none).
    Approve(commands::approve::Args),
    /// Serve the admin HTTP API.
    Serve(commands::serve::ServeArgs),
    /// Make a token for the admin API: printed once, stored only as a hash.
    Token(commands::serve::TokenArgs),
    /// Write synthetic CSV data (deterministic for a seed).
    Gen(commands::generate::Args),
    /// The scheduled worker: daily runs per timezone, sending, retries (until Ctrl-C).
    Worker(commands::worker::Args),
    /// A working demo from nothing: example configuration, generated data, a run.
    Demo(commands::demo::Args),
    /// Measure performance.
    #[command(subcommand)]
    Bench(Bench),
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// Import generated data into SQLite and PostgreSQL, beside `sqlite3 .import`.
    Import(commands::bench::Args),
    /// Plan a day over generated data in SQLite, beside a raw SQL aggregate.
    Plan(commands::bench::PlanArgs),
    /// Render one email per account from generated data.
    Render(commands::bench::PlanArgs),
    /// Compose and send emails to a local SMTP sink, beside a raw lettre blast.
    Deliver(commands::bench_deliver::Args),
}

/// How a command ended, beyond success.
#[derive(Debug)]
pub enum Failure {
    /// The work failed; the message has been printed. Exit 1.
    Reported,
    /// The arguments are wrong. Exit 2.
    Usage(String),
    /// Anything else: printed with its causes. Exit 1.
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

/// Logs on stderr: `RELANCE_LOG` (an env filter), else by -v/-q, the worker
/// at `info` by default and the other commands at `warn`.
fn init_tracing(cli: &Cli) {
    let default = match (cli.quiet, cli.verbose, &cli.command) {
        (true, _, _) => "error",
        (_, 0, Command::Worker(_)) => "info",
        (_, 0, _) => "warn",
        (_, 1, _) => "info",
        (_, 2, _) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RELANCE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(commands::color_stderr())
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli);
    let result = match &cli.command {
        Command::Check { dir } => commands::check::run(&cli, dir.as_deref().unwrap_or(&cli.config)),
        Command::Fmt { dir, check } => {
            commands::fmt::run(&cli, dir.as_deref().unwrap_or(&cli.config), *check)
        }
        Command::Import(args) => commands::import::run(&cli, args),
        Command::Plan(args) => commands::plan::plan(&cli, args),
        Command::Run(args) => commands::plan::run(&cli, args),
        Command::Simulate(args) => commands::simulate::run(&cli, args),
        Command::Diff(args) => commands::diff::run(&cli, args),
        Command::Status(args) => commands::status::run(&cli, args),
        Command::Preview(args) => commands::preview::run(&cli, args),
        Command::Approve(args) => commands::approve::run(&cli, args),
        Command::Serve(args) => commands::serve::serve(&cli, args),
        Command::Token(args) => commands::serve::token(&cli, args),
        Command::Gen(args) => commands::generate::run(&cli, args),
        Command::Worker(args) => commands::worker::run(&cli, args),
        Command::Demo(args) => commands::demo::run(&cli, args),
        Command::Bench(Bench::Import(args)) => commands::bench::run(&cli, args),
        Command::Bench(Bench::Plan(args)) => commands::bench::plan(&cli, args),
        Command::Bench(Bench::Render(args)) => commands::bench::render(&cli, args),
        Command::Bench(Bench::Deliver(args)) => commands::bench_deliver::run(&cli, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Reported) => ExitCode::from(1),
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
