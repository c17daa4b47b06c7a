//! `relance bench import`: how fast and how lean imports are, measured
//! against `sqlite3 .import` of the same items file into a plain table.
//! Targets live here, never in tests.

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
