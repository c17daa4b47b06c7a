//! `relance gen`: synthetic receivables data, deterministic for a seed.

use std::path::PathBuf;

use relance_engine::synthetic::{self, GenOptions};

use crate::Failure;
use crate::options::Global;

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
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
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
    if cli.json {
        // The directory and the rows written per file.
        let doc = serde_json::json!({
            "out": args.out.display().to_string(),
            "seed": args.seed,
            "date": options.today,
            "rows": {
                "colleagues": summary.colleagues,
                "customers": summary.customers,
                "contacts": summary.contacts,
                "assignments": summary.assignments,
                "items": summary.items,
            },
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(anyhow::Error::from)?
        );
    } else if !cli.quiet {
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
