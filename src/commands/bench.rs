//! `relance bench import` and `relance bench plan`: how fast and how lean
//! imports and plans are, each measured against a plain baseline on the same
//! data (`sqlite3 .import`; a raw SQL aggregate over the items). Targets live
//! here, never in tests.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use relance_engine::import::{self, DateFormat, Full, Options};
use relance_engine::store::Store;
use relance_engine::synthetic::{self, GenOptions};
use sqlx::{AssertSqlSafe, Connection as _, Executor as _, PgConnection};

use crate::{Cli, Failure};

/// The arguments of `relance bench import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Customers to generate.
    #[arg(long, default_value_t = 100_000)]
    customers: usize,
    /// Items to generate.
    #[arg(long, default_value_t = 1_000_000)]
    items: usize,
    /// A PostgreSQL server to measure too (a database is created and dropped);
    /// `none` to skip.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres: String,
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn fail(e: impl Into<anyhow::Error>) -> Failure {
    Failure::Other(e.into())
}

/// Runs the command.
pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let config = super::valid_config(&cli.config)?;
    let work = tempfile::tempdir().map_err(fail)?;
    let data = work.path().join("data");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();

    let started = Instant::now();
    synthetic::generate(
        &data,
        &GenOptions {
            customers: args.customers,
            items: args.items,
            seed: 42,
            today,
        },
    )
    .map_err(fail)?;
    outln!(
        "gen: {} customers, {} items in {:.2} s",
        args.customers,
        args.items,
        started.elapsed().as_secs_f64()
    );

    let options = Options {
        kind: None,
        full: Full::No,
        dry_run: false,
        date_format: DateFormat::Iso,
        today,
        now: "2026-11-20T06:00:00Z".into(),
        origin: "bench".into(),
        progress: false,
    };
    let files = vec![data.clone()];
    let rt = super::runtime()?;
    let sqlite = |name: &str| format!("sqlite://{}", work.path().join(name).display());

    let items_secs = rt.block_on(async {
        timed_import("SQLite", &sqlite("bench.db"), &config, &files, &options).await?;
        // The items file alone, for the comparison with sqlite3 .import.
        let items_only = sqlite("items-only.db");
        let others: Vec<_> = ["colleagues.csv", "customers.csv"]
            .iter()
            .map(|f| data.join(f))
            .collect();
        let store = Store::open(&items_only).await.map_err(fail)?;
        import::import(&store, &config, &others, &options)
            .await
            .map_err(fail)?;
        store.close().await;
        timed_import(
            "SQLite, items.csv alone",
            &items_only,
            &config,
            &[data.join("items.csv")],
            &options,
        )
        .await
    })?;

    // sqlite3 .import of the same items file into a plain table.
    match sqlite3_import(&work.path().join("raw.db"), &data.join("items.csv")) {
        Ok(raw) => outln!(
            "sqlite3 .import of items.csv: {raw:.2} s; relance/sqlite3 = {:.2}",
            items_secs / raw
        ),
        Err(e) => outln!("sqlite3 .import: not measured ({e})"),
    }

    if args.postgres != "none" {
        rt.block_on(postgres(&args.postgres, &config, &files, &options))?;
    }
    if let Some(peak) = peak_rss_mib() {
        outln!("peak memory of this process: {peak:.0} MiB");
    }
    Ok(())
}

/// Imports into the store at `url`, prints the rate, returns the seconds.
async fn timed_import(
    label: &str,
    url: &str,
    config: &relance_dsl::model::Config,
    files: &[std::path::PathBuf],
    options: &Options,
) -> Result<f64, Failure> {
    let store = Store::open(url).await.map_err(fail)?;
    let t = Instant::now();
    let report = import::import(&store, config, files, options)
        .await
        .map_err(fail)?;
    let secs = t.elapsed().as_secs_f64();
    store.close().await;
    let rows: u64 = report.files.iter().map(|f| f.rows).sum();
    outln!(
        "relance import, {label}: {rows} rows in {secs:.2} s ({:.0} rows/s)",
        rows as f64 / secs
    );
    Ok(secs)
}

fn sqlite3_import(db: &Path, items: &Path) -> anyhow::Result<f64> {
    let t = Instant::now();
    let status = Command::new("sqlite3")
        .arg(db)
        .arg(format!(".import --csv {} items_raw", items.display()))
        .status()?;
    anyhow::ensure!(status.success(), "sqlite3 exited with {status}");
    Ok(t.elapsed().as_secs_f64())
}

async fn postgres(
    admin_url: &str,
    config: &relance_dsl::model::Config,
    files: &[std::path::PathBuf],
    options: &Options,
) -> Result<(), Failure> {
    let mut admin = match PgConnection::connect(admin_url).await {
        Ok(c) => c,
        Err(e) => {
            outln!("PostgreSQL: not measured ({e})");
            return Ok(());
        }
    };
    let name = format!("relance_bench_{}", std::process::id());
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .map_err(fail)?;
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    let result = timed_import(
        "PostgreSQL",
        &format!("{base}/{name}"),
        config,
        files,
        options,
    )
    .await;
    admin
        .execute(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await
        .map_err(fail)?;
    result.map(|_| ())
}

/// The arguments of `relance bench plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Customers to generate.
    #[arg(long, default_value_t = 100_000)]
    customers: usize,
    /// Items to generate.
    #[arg(long, default_value_t = 1_000_000)]
    items: usize,
    /// Plan over this existing SQLite store instead of generating one.
    #[arg(long)]
    store: Option<String>,
}

/// Runs `relance bench plan`: generated data imported into SQLite, then the
/// day's plan beside a raw aggregate over the same items table.
pub fn plan(cli: &Cli, args: &PlanArgs) -> Result<(), Failure> {
    let planner = super::plan::planner(&cli.config)?;
    let work = tempfile::tempdir().map_err(fail)?;
    let data = work.path().join("data");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default();
    if args.store.is_none() {
        synthetic::generate(
            &data,
            &GenOptions {
                customers: args.customers,
                items: args.items,
                seed: 42,
                today,
            },
        )
        .map_err(fail)?;
    }
    let options = Options {
        kind: None,
        full: Full::No,
        dry_run: false,
        date_format: DateFormat::Iso,
        today,
        now: "2026-11-20T06:00:00Z".into(),
        origin: "bench".into(),
        progress: false,
    };
    let url = args
        .store
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", work.path().join("bench.db").display()));
    let rt = super::runtime()?;
    rt.block_on(async {
        if args.store.is_none() {
            timed_import(
                "SQLite",
                &url,
                &planner.config,
                std::slice::from_ref(&data),
                &options,
            )
            .await?;
        }
        let store = Store::open(&url).await.map_err(fail)?;

        // The baseline: per-customer earliest due date and sum of remaining.
        let t = Instant::now();
        let mut tx = store.begin().await.map_err(fail)?;
        let groups: Vec<(String, String, i64)> = match &mut tx {
            relance_engine::store::Tx::Sqlite(c) => sqlx::query_as(
                "SELECT customer, MIN(due_date), SUM(remaining) FROM items \
                 WHERE remaining > 0 GROUP BY customer",
            )
            .fetch_all(&mut **c)
            .await
            .map_err(fail)?,
            relance_engine::store::Tx::Postgres(_) => Vec::new(),
        };
        tx.rollback().await.map_err(fail)?;
        let raw = t.elapsed().as_secs_f64();
        outln!(
            "raw SQL aggregate over open items: {} customers in {raw:.2} s",
            groups.len()
        );
        drop(groups);

        let when = relance_engine::run::When::Date(today);
        let t = Instant::now();
        let (plans, stats) = relance_engine::run::plan_measured(
            &store,
            &planner,
            when,
            &relance_engine::run::Selection::all(&planner),
        )
        .await
        .map_err(fail)?;
        let total = t.elapsed().as_secs_f64();
        let actions = plans.iter().filter(|p| p.action.is_some()).count();
        let alerts: usize = plans.iter().map(|p| p.alerts.len()).sum();
        outln!(
            "plan: {} accounts, {} items in {total:.2} s (load {:.2} s, evaluate {:.2} s): \
             {actions} actions, {alerts} alerts; plan/raw = {:.2}",
            stats.accounts,
            stats.items,
            stats.load.as_secs_f64(),
            stats.evaluate.as_secs_f64(),
            total / raw
        );
        store.close().await;
        Ok::<_, Failure>(())
    })?;
    if let Some(peak) = peak_rss_mib() {
        outln!("peak memory of this process: {peak:.0} MiB");
    }
    Ok(())
}
