//! `relance gen`: synthetic receivables data, deterministic for a seed.

use std::path::PathBuf;

use relance_engine::synthetic::{self, GenOptions};

use crate::{Cli, Failure};

/// The arguments of `relance gen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many customers.
    #[arg(long)]
    customers: usize,
    /// How many items (invoices, credit notes, payments) in all.
    #[arg(long)]
    items: usize,
    /// The seed: the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the five CSV files.
    #[arg(long)]
    out: PathBuf,
    /// The date the data is relative to (default: today, UTC).
    #[arg(long)]
    date: Option<chrono::NaiveDate>,
}

/// Runs the command.
pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let options = GenOptions {
        customers: args.customers,
        items: args.items,
        seed: args.seed,
        today: args.date.unwrap_or_else(|| chrono::Utc::now().date_naive()),
    };
    let summary = synthetic::generate(&args.out, &options).map_err(|e| match e {
        e @ synthetic::GenError::NoCustomers => Failure::Usage(e.to_string()),
        e => Failure::Other(anyhow::Error::new(e)),
    })?;
    if !cli.quiet {
        outln!(
            "{}: {} colleagues, {} customers, {} contacts, {} assignments, {} items",
            args.out.display(),
            summary.colleagues,
            summary.customers,
            summary.contacts,
            summary.assignments,
            summary.items
        );
    }
    Ok(())
}
