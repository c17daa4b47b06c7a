//! `relance bench import`, `plan` and `render`: how fast and how lean
//! imports, plans and rendering are, each measured against a plain baseline
//! where there is one (`sqlite3 .import`; a raw SQL aggregate over the
//! items). Targets live here, never in tests.

use relance_engine::planner::ItemKey;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use relance_engine::import::{self, DateFormat, Full, Options};
use relance_engine::store::Store;
use relance_engine::synthetic::{self, GenOptions};
use sqlx::{AssertSqlSafe, Connection as _, Executor as _, PgConnection};

use crate::Failure;
use crate::options::Global;

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

/// The peak resident memory of this process so far (`VmHWM`), in MiB.
pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Any error, as a failure of the command.
pub(crate) fn fail(e: impl Into<anyhow::Error>) -> Failure {
    Failure::Other(e.into())
}

/// Runs the command.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
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
    /// Times each measurement of `bench plan` is taken; the fastest counts
    /// (for the raw aggregate as for the plan).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// A store to measure: `--store`, or generated data imported into a new
/// SQLite file inside `work`.
async fn prepared_store(
    planner: &relance_engine::planner::Planner,
    args: &PlanArgs,
    work: &Path,
    today: chrono::NaiveDate,
) -> Result<String, Failure> {
    generated_store(
        planner,
        args.store.as_deref(),
        (args.customers, args.items),
        work,
        today,
    )
    .await
}

/// A store to measure: `store` when given, else `(customers, items)`
/// generated for `today` and imported into a new SQLite file inside `work`.
pub(crate) async fn generated_store(
    planner: &relance_engine::planner::Planner,
    store: Option<&str>,
    (customers, items): (usize, usize),
    work: &Path,
    today: chrono::NaiveDate,
) -> Result<String, Failure> {
    if let Some(url) = store {
        return Ok(url.to_string());
    }
    let data = work.join("data");
    synthetic::generate(
        &data,
        &GenOptions {
            customers,
            items,
            seed: 42,
            today,
        },
    )
    .map_err(fail)?;
    let options = Options {
        kind: None,
        full: Full::No,
        dry_run: false,
        date_format: DateFormat::Iso,
        today,
        now: "2026-11-20T06:00:00Z".into(),
        origin: "bench".into(),
    };
    let url = format!("sqlite://{}", work.join("bench.db").display());
    timed_import(
        "SQLite",
        &url,
        &planner.config,
        std::slice::from_ref(&data),
        &options,
    )
    .await?;
    Ok(url)
}

/// The day every benchmark plans for (the generator's "today").
pub(crate) fn bench_day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default()
}

/// Runs `relance bench plan`: generated data imported into SQLite, then the
/// day's plan beside a raw aggregate over the same items table.
pub fn plan(cli: &Global, args: &PlanArgs) -> Result<(), Failure> {
    let planner = super::plan::planner(&cli.config)?;
    let work = tempfile::tempdir().map_err(fail)?;
    let today = bench_day();
    let rt = super::runtime()?;
    rt.block_on(async {
        let url = prepared_store(&planner, args, work.path(), today).await?;
        let store = Store::open(&url).await.map_err(fail)?;

        let runs = args.runs.max(1);
        // The baseline: per-customer earliest due date and sum of remaining.
        let mut raw = f64::INFINITY;
        for _ in 0..runs {
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
            let secs = t.elapsed().as_secs_f64();
            raw = raw.min(secs);
            outln!(
                "raw SQL aggregate over open items: {} customers in {secs:.2} s",
                groups.len()
            );
        }

        let when = relance_engine::run::When::Date(today);
        let mut best = f64::INFINITY;
        for _ in 0..runs {
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
            best = best.min(total);
            let actions = plans.iter().filter(|p| p.action.is_some()).count();
            let alerts: usize = plans.iter().map(|p| p.alerts.len()).sum();
            outln!(
                "plan: {} accounts, {} items in {total:.2} s (load {:.2} s, evaluate {:.2} s): \
                 {actions} actions, {alerts} alerts",
                stats.accounts,
                stats.items,
                stats.load.as_secs_f64(),
                stats.evaluate.as_secs_f64(),
            );
        }
        outln!(
            "fastest of {runs}: raw {raw:.2} s, plan {best:.2} s; plan/raw = {:.2} (target <= 2)",
            best / raw
        );
        store.close().await;
        Ok::<_, Failure>(())
    })?;
    if let Some(peak) = peak_rss_mib() {
        outln!("peak memory of this process: {peak:.0} MiB");
    }
    Ok(())
}

/// Runs `relance bench render`: one email per account (the example's
/// `reminder_1`, with the split statement of its open items) rendered and
/// built as a MIME message, from generated data; one compiled template set
/// is reused for every email.
pub fn render(cli: &Global, args: &PlanArgs) -> Result<(), Failure> {
    use relance_worker::render::{ActionRef, Composer};
    let report = super::valid_report(&cli.config)?;
    let planner = std::sync::Arc::new(
        relance_engine::planner::Planner::new(&report.checked.config, &report.sources)
            .map_err(fail)?,
    );
    let templates =
        relance_engine::config::templates(&report.sources, &report.checked.config).map_err(fail)?;
    let template = "reminder_1";
    let composer =
        Composer::new(planner.clone(), templates).map_err(|e| fail(anyhow::anyhow!("{e}")))?;
    let work = tempfile::tempdir().map_err(fail)?;
    let today = bench_day();
    let accounts = super::runtime()?.block_on(async {
        let url = prepared_store(&planner, args, work.path(), today).await?;
        let store = Store::open(&url).await.map_err(fail)?;
        let t = Instant::now();
        let accounts =
            relance_engine::run::load(&store, &relance_engine::run::Selection::all(&planner))
                .await
                .map_err(fail)?;
        outln!(
            "loaded {} accounts in {:.2} s",
            accounts.len(),
            t.elapsed().as_secs_f64()
        );
        store.close().await;
        Ok::<_, Failure>(accounts)
    })?;

    let render_chunk = |chunk: &[relance_engine::planner::Account]| -> (usize, usize, usize) {
        let (mut emails, mut bytes, mut failed) = (0, 0, 0);
        for account in chunk {
            let to: Vec<String> = account
                .contacts
                .first()
                .map(|c| vec![c.email.clone()])
                .unwrap_or_else(|| vec!["ap@example.invalid".into()]);
            let items: Vec<ItemKey> = account
                .items
                .iter()
                .filter(|i| i.kind.is_debit() && i.due_date < today)
                .map(|i| i.key())
                .collect();
            let action = ActionRef {
                scenario: "standard",
                step: "reminder_1",
                template: Some(template),
                leader: items.first(),
                items: &items,
                to: &to,
                cc: &[],
                links: None,
            };
            let message = composer
                .render(account, &action, today, None)
                .and_then(|r| composer.email(&r, &action, "<bench@relance>", "0", &[]));
            match message {
                Ok(m) => {
                    emails += 1;
                    bytes += m.formatted().len();
                }
                Err(_) => failed += 1,
            }
        }
        (emails, bytes, failed)
    };

    let t = Instant::now();
    let (emails, bytes, failed) = render_chunk(&accounts);
    let one = t.elapsed().as_secs_f64();
    outln!(
        "render, one thread: {emails} emails ({:.0} MiB of MIME) in {one:.2} s = {:.0} emails/s; {failed} failed",
        bytes as f64 / 1_048_576.0,
        emails as f64 / one
    );
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads > 1 {
        let t = Instant::now();
        let size = accounts.len().div_ceil(threads).max(1);
        let emails: usize = std::thread::scope(|s| {
            let handles: Vec<_> = accounts
                .chunks(size)
                .map(|chunk| s.spawn(move || render_chunk(chunk).0))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        let all = t.elapsed().as_secs_f64();
        outln!(
            "render, {threads} threads: {emails} emails in {all:.2} s = {:.0} emails/s",
            emails as f64 / all
        );
    }
    if let Some(peak) = peak_rss_mib() {
        outln!("peak memory of this process: {peak:.0} MiB");
    }
    Ok(())
}
