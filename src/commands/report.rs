//! `relance report NAME`: the reports finance reads
//! (docs/reference/reports.md), as an aligned table, JSON (the API's
//! document), CSV or an SVG chart, on the terminal or into a file.

use std::path::PathBuf;

use anyhow::Context as _;
use relance_engine::reports::{self, By, Filters, Report};
use relance_engine::run::RunError;

use crate::Failure;
use crate::options::Global;

/// The arguments of `relance report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The report: aging, dso, qualified, forecast, receipts, disputes, profile.
    name: String,
    /// The date the report is computed on (default: today in the platform timezone).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<chrono::NaiveDate>,
    /// Only the accounts this colleague collects.
    #[arg(long, value_name = "EMAIL")]
    collector: Option<String>,
    /// Only the accounts in this scenario.
    #[arg(long)]
    scenario: Option<String>,
    /// Only this customer's account.
    #[arg(long)]
    customer: Option<String>,
    /// Group the lines by customer, collector or scenario (aging, qualified, receipts, forecast).
    #[arg(long, value_parser = ["customer", "collector", "scenario"])]
    by: Option<String>,
    /// The DSO period in days.
    #[arg(long, default_value_t = 90)]
    days: i64,
    /// Receipts per week or month.
    #[arg(long, value_parser = ["week", "month"], default_value = "week")]
    period: String,
    /// Labels of charts and tables in this language (default: the settings').
    #[arg(long)]
    lang: Option<String>,
    /// table (default), json, csv or svg.
    #[arg(long, value_parser = ["table", "json", "csv", "svg"])]
    format: Option<String>,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs `relance report`.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let (planner, _) = super::compiled(&cli.config)?;
    let kind = reports::Kind::parse(&args.name).ok_or_else(|| {
        Failure::Usage(format!(
            "unknown report {:?} (reports: {})",
            args.name,
            reports::Kind::NAMES.join(", ")
        ))
    })?;
    let format = match (&args.format, cli.json) {
        (Some(f), _) => f.as_str(),
        (None, true) => "json",
        (None, false) => "table",
    };
    let tz = planner.config.settings.timezone;
    let date = args
        .date
        .unwrap_or_else(|| chrono::Utc::now().with_timezone(&tz).date_naive());
    let filters = Filters {
        collector: args.collector.clone(),
        scenario: args.scenario.clone(),
        customer: args.customer.clone(),
    };
    let options = reports::Options {
        date,
        by: args.by.as_deref().and_then(By::parse),
        days: args.days,
        period: reports::Period::parse(&args.period).unwrap_or(reports::Period::Week),
    };
    if options.days <= 0 {
        return Err(Failure::Usage("--days must be at least 1".into()));
    }
    let report: Report = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let result = reports::compute(&store, &planner, kind, &filters, &options).await;
        store.close().await;
        result.map_err(|e| match e {
            RunError::UnknownAccount(_) => Failure::Usage(e.to_string()),
            e => Failure::Other(e.into()),
        })
    })?;
    let language = args
        .lang
        .clone()
        .unwrap_or_else(|| planner.config.settings.language.clone());
    let text = match format {
        "json" => serde_json::to_string_pretty(&report).context("writing JSON")? + "\n",
        "csv" => report.table().csv(),
        "svg" => report.chart(&language),
        _ => report.table().text(),
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            if !cli.quiet {
                eprintln!("report {} written to {}", kind.name(), path.display());
            }
        }
        None => outln!("{}", text.trim_end()),
    }
    Ok(())
}
