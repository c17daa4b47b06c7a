//! `relance`: the command line (docs/reference/cli.md). It parses arguments, wires the
//! crates together and turns errors into messages and exit codes:
//! 0 success, 1 the work failed (invalid configuration...), 2 usage errors.

/// `println!` that ends the process quietly when stdout is closed (`relance
/// plan | head`) instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {
        $crate::write_out(format_args!($($t)*))
    };
}

mod commands;
mod options;

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

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use options::{Configured, Declares, Measure, Plain, Service, Stored};

/// Collection (dunning) workflow and rules engine.
#[derive(Debug, Parser)]
#[command(
    name = "relance",
    version,
    about,
    propagate_version = true,
    after_help = "--config, --db, --json and -v/-q are options of the commands that use them: see `relance COMMAND --help`."
)]
pub struct Cli {
    /// `--config`, `--db`, `--json`, `-v/-q` written before the subcommand.
    #[command(flatten)]
    before: options::Before,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a configuration directory (exit 0 valid, 1 invalid).
    Check(Configured<commands::check::Args>),
    /// Rewrite `.relance` files in the canonical layout.
    Fmt(Configured<commands::fmt::Args>),
    /// Import CSV files (customers, contacts, colleagues, assignments, items).
    Import(Stored<commands::import::Args>),
    /// The day's actions, alerts and escalations, recording nothing.
    Plan(Stored<commands::plan::PlanArgs>),
    /// Plan the day, record it, and deliver.
    Run(Stored<commands::plan::RunArgs>),
    /// Replay each day between two dates in memory: the timeline each account would follow.
    Simulate(Stored<commands::simulate::Args>),
    /// Compare the day's actions with those of another configuration.
    Diff(Stored<commands::diff::Args>),
    /// Qualify items: promise to pay, dispute...
    #[command(subcommand)]
    Status(commands::status::Args),
    /// Render the email or letter a step would produce for an account.
    Preview(Stored<commands::preview::Args>),
    /// Approve `review` actions waiting for review (all or none).
    Approve(Stored<commands::approve::Args>),
    /// Reject `review` actions waiting for review: never sent (all or none).
    Reject(Stored<commands::approve::RejectArgs>),
    /// The colleagues' tasks (calls, visits...), by assignee, state and date.
    Tasks(Stored<commands::tasks::ListArgs>),
    /// The runs (the API's, the workers' daily runs) and one run's shards.
    Runs(Stored<commands::runs::Args>),
    /// Complete a task.
    #[command(subcommand)]
    Task(commands::tasks::TaskArgs),
    /// Reports: aging, dso, qualified, forecast, receipts, disputes, profile.
    Report(Stored<commands::report::Args>),
    /// Attach files to an item (CUSTOMER/REFERENCE) or account (CUSTOMER), or a directory of them.
    Attach(Stored<commands::files::AttachArgs>),
    /// Attached files: list them, hide one, purge those past retention.
    Files(Stored<commands::files::FilesArgs>),
    /// Serve the admin HTTP API.
    Serve(Service<commands::serve::ServeArgs>),
    /// Who may sign in to the web workspace (/ui/): set, list, remove, link.
    #[command(subcommand)]
    Login(commands::login::Args),
    /// Make a token for the admin API: printed once, stored only as a hash.
    Token(Plain<commands::serve::TokenArgs>),
    /// Write synthetic CSV data (deterministic for a seed).
    Gen(Plain<commands::generate::Args>),
    /// The scheduled worker: daily runs per timezone, sending, retries (until Ctrl-C).
    Worker(Service<commands::worker::Args>),
    /// A working demo from nothing: example configuration, generated data, a run.
    Demo(Plain<commands::demo::Args>),
    /// Measure performance.
    #[command(subcommand)]
    Bench(Bench),
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// Import generated data into SQLite and PostgreSQL, beside `sqlite3 .import`.
    Import(Measure<commands::bench::Args>),
    /// Plan a day over generated data in SQLite, beside a raw SQL aggregate.
    Plan(Measure<commands::bench::PlanArgs>),
    /// Render one email per account from generated data.
    Render(Measure<commands::bench::PlanArgs>),
    /// Compose and send emails to a local SMTP sink, beside Postfix's smtp-source.
    Deliver(Measure<commands::bench_deliver::Args>),
    /// The whole daily cycle of a generated portfolio (re-import, run, render and send), each phase beside its floor.
    Day(Measure<commands::bench_day::Args>),
    /// Every report over generated data in SQLite, beside a raw SQL aggregate.
    Reports(Measure<commands::bench_reports::Args>),
}

impl Command {
    /// The shared options the command declared.
    fn declared(&self) -> options::Declared<'_> {
        use commands::status::Args as Status;
        match self {
            Command::Check(c) => c.declared(),
            Command::Fmt(c) => c.declared(),
            Command::Import(c) => c.declared(),
            Command::Plan(c) => c.declared(),
            Command::Run(c) => c.declared(),
            Command::Simulate(c) => c.declared(),
            Command::Diff(c) => c.declared(),
            Command::Status(Status::Set(c)) => c.declared(),
            Command::Status(Status::Clear(c)) => c.declared(),
            Command::Preview(c) => c.declared(),
            Command::Approve(c) => c.declared(),
            Command::Reject(c) => c.declared(),
            Command::Tasks(c) => c.declared(),
            Command::Runs(c) => c.declared(),
            Command::Task(commands::tasks::TaskArgs::Done(c)) => c.declared(),
            Command::Report(c) => c.declared(),
            Command::Attach(c) => c.declared(),
            Command::Files(c) => match &c.args.action {
                Some(action) => action.declared(),
                None => c.declared(),
            },
            Command::Serve(c) => c.declared(),
            Command::Login(commands::login::Args::Set(c)) => c.declared(),
            Command::Login(commands::login::Args::List(c)) => c.declared(),
            Command::Login(commands::login::Args::Remove(c)) => c.declared(),
            Command::Login(commands::login::Args::Link(c)) => c.declared(),
            Command::Token(c) => c.declared(),
            Command::Gen(c) => c.declared(),
            Command::Worker(c) => c.declared(),
            Command::Demo(c) => c.declared(),
            Command::Bench(Bench::Import(c)) => c.declared(),
            Command::Bench(Bench::Plan(c)) => c.declared(),
            Command::Bench(Bench::Render(c)) => c.declared(),
            Command::Bench(Bench::Deliver(c)) => c.declared(),
            Command::Bench(Bench::Day(c)) => c.declared(),
            Command::Bench(Bench::Reports(c)) => c.declared(),
        }
    }
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
fn init_tracing(options: &options::Global, command: &Command) {
    let default = match (options.quiet, options.verbose, command) {
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
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let opts = options::Global::resolve(&cli.before, &cli.command.declared(), &matches);
    init_tracing(&opts, &cli.command);
    let o = &opts;
    let result = match &cli.command {
        Command::Check(c) => commands::check::run(o, &c.args),
        Command::Fmt(c) => commands::fmt::run(o, &c.args),
        Command::Import(c) => commands::import::run(o, &c.args),
        Command::Plan(c) => commands::plan::plan(o, &c.args),
        Command::Run(c) => commands::plan::run(o, &c.args),
        Command::Simulate(c) => commands::simulate::run(o, &c.args),
        Command::Diff(c) => commands::diff::run(o, &c.args),
        Command::Status(args) => commands::status::run(o, args),
        Command::Preview(c) => commands::preview::run(o, &c.args),
        Command::Approve(c) => commands::approve::run(o, &c.args),
        Command::Reject(c) => commands::approve::reject(o, &c.args),
        Command::Tasks(c) => commands::tasks::list(o, &c.args),
        Command::Runs(c) => commands::runs::run(o, &c.args),
        Command::Task(commands::tasks::TaskArgs::Done(c)) => commands::tasks::done(o, &c.args),
        Command::Report(c) => commands::report::run(o, &c.args),
        Command::Attach(c) => commands::files::attach(o, &c.args),
        Command::Files(c) => commands::files::run(o, &c.args),
        Command::Serve(c) => commands::serve::serve(o, &c.args),
        Command::Login(args) => commands::login::run(o, args),
        Command::Token(c) => commands::serve::token(o, &c.args),
        Command::Gen(c) => commands::generate::run(o, &c.args),
        Command::Worker(c) => commands::worker::run(o, &c.args),
        Command::Demo(c) => commands::demo::run(o, &c.args),
        Command::Bench(Bench::Import(c)) => commands::bench::run(o, &c.args),
        Command::Bench(Bench::Plan(c)) => commands::bench::plan(o, &c.args),
        Command::Bench(Bench::Render(c)) => commands::bench::render(o, &c.args),
        Command::Bench(Bench::Deliver(c)) => commands::bench_deliver::run(o, &c.args),
        Command::Bench(Bench::Day(c)) => commands::bench_day::run(o, &c.args),
        Command::Bench(Bench::Reports(c)) => commands::bench_reports::run(o, &c.args),
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
