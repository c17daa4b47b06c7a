//! `relance bench reports`: every report over a store beside a floor, one
//! SQL aggregate over the same items (docs/performance.md "Reports").
//!
//! In one run it measures the floor, the load of everything reports read
//! (`reports::load::report_data`), each report computed from the loaded
//! data (`reports::of`), each report end to end (`reports::compute`, which
//! reads only what that report needs) and the aging grouped by scenario
//! (which also reads the accounts as the planner does), and prints each
//! figure with its ratio to the floor.
//! Timings vary from run to run; ratios are only compared within a run.
//! The target (each report end to end at most 2× the floor) lives here,
//! never in tests.

use std::time::Instant;

use relance_engine::planner::Planner;
use relance_engine::reports::{self, Filters, Kind, ReportData};
use relance_engine::store::{Store, Tx};
use serde::Serialize;

use super::bench::{bench_day, fail, generated_store, peak_rss_mib};
use crate::Failure;
use crate::options::Global;

/// The arguments of `relance bench reports`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Customers to generate.
    #[arg(long, default_value_t = 100_000)]
    customers: usize,
    /// Items to generate.
    #[arg(long, default_value_t = 1_000_000)]
    items: usize,
    /// Measure this existing store (a SQLite file or URL) instead of
    /// generating one.
    #[arg(long)]
    store: Option<String>,
    /// The date the reports are computed on (default: the generator's
    /// 2026-11-20).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<chrono::NaiveDate>,
    /// Times each figure is taken; the fastest counts.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// Print the figures as one JSON document instead of lines.
    #[arg(long)]
    json: bool,
}

/// The ratio a report's end-to-end time must stay under.
const TARGET: f64 = 2.0;

/// The figures of one report.
#[derive(Debug, Serialize)]
struct ReportFigures {
    /// The report's name.
    name: &'static str,
    /// Seconds to compute it from loaded data (`reports::of`).
    of: f64,
    /// `of` ÷ the floor.
    of_ratio: f64,
    /// Seconds end to end, loading included (`reports::compute`).
    compute: f64,
    /// `compute` ÷ the floor.
    compute_ratio: f64,
    /// Whether `compute_ratio` is within the target.
    within_target: bool,
}

/// Everything `bench reports` measured, in seconds (the fastest of `runs`).
#[derive(Debug, Serialize)]
struct Figures {
    /// The store measured.
    store: String,
    /// The reports' date.
    date: String,
    /// Open items (customer, currency) groups the floor returned.
    floor_groups: usize,
    /// The floor: one SQL aggregate over the open items, read to the end.
    floor: f64,
    /// The load of everything reports read (`report_data`, every need
    /// but scenarios).
    load: f64,
    /// `load` ÷ the floor.
    load_ratio: f64,
    /// Items, payments and dispute episodes loaded.
    items: usize,
    /// Payments loaded.
    payments: usize,
    /// Dispute episodes loaded.
    disputes: usize,
    /// The target for `compute_ratio`.
    target: f64,
    /// Each report.
    reports: Vec<ReportFigures>,
    /// The aging grouped by scenario, end to end (it reads the accounts as
    /// the planner does to know their scenarios): seconds.
    aging_by_scenario: f64,
    /// `aging_by_scenario` ÷ the floor.
    aging_by_scenario_ratio: f64,
    /// Peak resident memory of the process after the run, MiB.
    peak_mib: Option<f64>,
}

/// The fastest of `runs` timings of `f`, with its last result.
async fn fastest<T, F, Fut>(runs: usize, mut f: F) -> Result<(f64, T), Failure>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Failure>>,
{
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let value = f().await?;
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(value);
    }
    match last {
        Some(value) => Ok((best, value)),
        None => Err(fail(anyhow::anyhow!("nothing was measured"))),
    }
}

/// A SQLite file path as a store URL; URLs are kept.
fn store_url(store: &str) -> String {
    if store.contains("://") || store.starts_with("sqlite:") {
        store.to_string()
    } else {
        format!("sqlite://{store}")
    }
}

/// The floor: per customer and currency, the sum of the open remaining and
/// the earliest due date, every row read.
async fn floor(store: &Store) -> Result<usize, Failure> {
    const FLOOR: &str = "SELECT customer, currency, SUM(remaining), MIN(due_date) FROM items \
                         WHERE remaining > 0 GROUP BY customer, currency";
    let mut tx = store.begin().await.map_err(fail)?;
    let groups: Vec<(String, String, i64, String)> = match &mut tx {
        Tx::Sqlite(c) => sqlx::query_as(FLOOR).fetch_all(&mut **c).await,
        Tx::Postgres(c) => sqlx::query_as(FLOOR).fetch_all(&mut **c).await,
    }
    .map_err(fail)?;
    tx.rollback().await.map_err(fail)?;
    Ok(groups.len())
}

/// Runs `relance bench reports`.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let planner = super::plan::planner(&cli.config)?;
    let work = tempfile::tempdir().map_err(fail)?;
    let date = args.date.unwrap_or_else(bench_day);
    let runs = args.runs.max(1);
    let say = |line: String| {
        if !args.json {
            outln!("{line}");
        }
    };
    let rt = super::runtime()?;
    let mut figures = rt.block_on(async {
        let url = match &args.store {
            Some(s) => store_url(s),
            None => {
                generated_store(
                    &planner,
                    None,
                    (args.customers, args.items),
                    work.path(),
                    bench_day(),
                )
                .await?
            }
        };
        let store = Store::open(&url).await.map_err(fail)?;
        let result = measure(&store, &planner, &url, date, runs, &say).await;
        store.close().await;
        result
    })?;
    figures.peak_mib = peak_rss_mib();
    if args.json {
        let text = serde_json::to_string_pretty(&figures).map_err(fail)?;
        outln!("{text}");
    } else if let Some(peak) = figures.peak_mib {
        outln!("peak memory of this process: {peak:.0} MiB");
    }
    Ok(())
}

/// Takes every figure over `store`, printing each through `say`.
async fn measure(
    store: &Store,
    planner: &Planner,
    url: &str,
    date: chrono::NaiveDate,
    runs: usize,
    say: &impl Fn(String),
) -> Result<Figures, Failure> {
    let filters = Filters::default();
    let options = reports::Options {
        date,
        by: None,
        days: 90,
        period: reports::Period::Week,
    };

    let (floor_secs, floor_groups) = fastest(runs, || floor(store)).await?;
    say(format!(
        "floor, one SQL aggregate over the open items: {floor_groups} (customer, currency) groups in {floor_secs:.3} s"
    ));

    let everything = reports::load::Needs {
        scenarios: false,
        ..reports::load::Needs::ALL
    };
    let (load, data): (f64, ReportData) = fastest(runs, || async {
        reports::load::report_data(store, planner, &filters, everything, date)
            .await
            .map_err(fail)
    })
    .await?;
    say(format!(
        "load of everything reports read: {} items, {} payments, {} disputes in {load:.3} s = {:.2}× the floor",
        data.items.len(),
        data.payments.len(),
        data.disputes.len(),
        load / floor_secs
    ));

    let mut figures = Vec::new();
    for name in Kind::NAMES {
        let Some(kind) = Kind::parse(name) else {
            continue;
        };
        let (of, _) = fastest(runs, || async {
            Ok(reports::of(planner, &data, kind, &options))
        })
        .await?;
        let (compute, _) = fastest(runs, || async {
            reports::compute(store, planner, kind, &filters, &options)
                .await
                .map_err(fail)
        })
        .await?;
        let line = ReportFigures {
            name: kind.name(),
            of,
            of_ratio: of / floor_secs,
            compute,
            compute_ratio: compute / floor_secs,
            within_target: compute / floor_secs <= TARGET,
        };
        say(format!(
            "{:<10} from loaded data {:>7.3} s ({:>5.2}×); end to end {:>7.3} s ({:>5.2}×){}",
            line.name,
            line.of,
            line.of_ratio,
            line.compute,
            line.compute_ratio,
            if line.within_target {
                ""
            } else {
                "  over the target"
            }
        ));
        figures.push(line);
    }
    let by_scenario = reports::Options {
        by: Some(reports::By::Scenario),
        ..options.clone()
    };
    let (aging_by_scenario, _) = fastest(runs, || async {
        reports::compute(store, planner, Kind::Aging, &filters, &by_scenario)
            .await
            .map_err(fail)
    })
    .await?;
    say(format!(
        "aging --by scenario end to end {aging_by_scenario:.3} s ({:.2}×; it reads the accounts as the planner does)",
        aging_by_scenario / floor_secs
    ));
    let over = figures.iter().filter(|f| !f.within_target).count();
    say(format!(
        "{} of {} reports end to end within {TARGET}× the floor (fastest of {runs})",
        figures.len() - over,
        figures.len()
    ));
    Ok(Figures {
        store: url.to_string(),
        date: date.to_string(),
        floor_groups,
        floor: floor_secs,
        load,
        load_ratio: load / floor_secs,
        items: data.items.len(),
        payments: data.payments.len(),
        disputes: data.disputes.len(),
        target: TARGET,
        reports: figures,
        aging_by_scenario,
        aging_by_scenario_ratio: aging_by_scenario / floor_secs,
        peak_mib: None,
    })
}
