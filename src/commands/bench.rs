//! `relance bench import`, `plan` and `render`: how fast and how lean
//! imports, plans and rendering are, each measured against a plain baseline
//! where there is one (`sqlite3 .import`; a raw SQL aggregate over the
//! items). Targets live here, never in tests.

use relance_engine::planner::ItemKey;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;
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
    /// Print the figures as one JSON document.
    #[arg(long)]
    json: bool,
}

/// The figures of `relance bench import`, in seconds (`--json`).
#[derive(Debug, Default, serde::Serialize)]
struct ImportFigures {
    /// Customers generated.
    customers: usize,
    /// Items generated.
    items: usize,
    /// Items the changed copy of items.csv changes.
    items_changed: u64,
    /// SQLite: the five files into an empty store.
    sqlite_all_files: f64,
    /// SQLite: items.csv alone into a store with its customers.
    sqlite_items_first: f64,
    /// `sqlite3 .import` of items.csv into a plain table.
    sqlite3_import: Option<f64>,
    /// `sqlite_items_first / sqlite3_import`.
    sqlite_vs_sqlite3: Option<f64>,
    /// SQLite: items.csv again, unchanged.
    sqlite_items_unchanged: f64,
    /// `sqlite_items_unchanged / sqlite_items_first`.
    sqlite_unchanged_ratio: f64,
    /// SQLite: the changed copy of items.csv.
    sqlite_items_changed: f64,
    /// `sqlite_items_changed / sqlite_items_first` (target: at most 1).
    sqlite_changed_ratio: f64,
    /// PostgreSQL: items.csv alone into a store with its customers.
    postgres_items_first: Option<f64>,
    /// `psql \copy` of items.csv into a plain table of text columns.
    psql_copy: Option<f64>,
    /// `postgres_items_first / psql_copy` (target: at most 2).
    postgres_vs_copy: Option<f64>,
    /// PostgreSQL: the changed copy of items.csv.
    postgres_items_changed: Option<f64>,
    /// `postgres_items_changed / postgres_items_first`.
    postgres_changed_ratio: Option<f64>,
    /// The peak resident memory of the process, MiB.
    peak_mib: Option<f64>,
}

/// Prints a line unless the figures go out as JSON.
struct Say {
    /// `--json`: lines are not printed.
    quiet: bool,
}

impl Say {
    fn line(&self, text: std::fmt::Arguments<'_>) {
        if !self.quiet {
            crate::write_out(text);
        }
    }
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

/// Runs the command: generated files imported into SQLite (the five files;
/// items.csv alone, first, unchanged and with 2% of its items changed)
/// beside `sqlite3 .import`, then items.csv into PostgreSQL (first and
/// changed) beside `psql \copy`.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let config = super::valid_config(&cli.config)?;
    let work = tempfile::tempdir().map_err(fail)?;
    let data = work.path().join("data");
    let today = bench_day();
    let say = Say { quiet: args.json };
    let mut figures = ImportFigures {
        customers: args.customers,
        items: args.items,
        ..ImportFigures::default()
    };

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
    say.line(format_args!(
        "gen: {} customers, {} items in {:.2} s",
        args.customers,
        args.items,
        started.elapsed().as_secs_f64()
    ));
    let items = data.join("items.csv");
    let changed_dir = work.path().join("changed");
    std::fs::create_dir_all(&changed_dir).map_err(fail)?;
    let changed = changed_dir.join("items.csv");
    figures.items_changed = write_changed(&items, &changed)
        .context("writing the changed items.csv")
        .map_err(fail)?;
    say.line(format_args!(
        "changed copy of items.csv: {} items changed (every 50th: paid, or a comment)",
        figures.items_changed
    ));

    let options = bench_options(today);
    let rt = super::runtime()?;
    let sqlite = |name: &str| format!("sqlite://{}", work.path().join(name).display());
    let parties: Vec<_> = ["colleagues.csv", "customers.csv"]
        .iter()
        .map(|f| data.join(f))
        .collect();

    rt.block_on(async {
        figures.sqlite_all_files = timed_import(
            &say,
            "SQLite, all five files",
            &sqlite("bench.db"),
            &config,
            std::slice::from_ref(&data),
            &options,
        )
        .await?;
        // The items file alone, for the comparison with sqlite3 .import.
        let items_only = sqlite("items-only.db");
        untimed_import(&items_only, &config, &parties, &options).await?;
        figures.sqlite_items_first = timed_import(
            &say,
            "SQLite, items.csv into an empty items table",
            &items_only,
            &config,
            std::slice::from_ref(&items),
            &options,
        )
        .await?;
        figures.sqlite_items_unchanged = timed_import(
            &say,
            "SQLite, items.csv again (unchanged)",
            &items_only,
            &config,
            std::slice::from_ref(&items),
            &options,
        )
        .await?;
        figures.sqlite_items_changed = timed_import(
            &say,
            "SQLite, items.csv with 2% changed",
            &items_only,
            &config,
            std::slice::from_ref(&changed),
            &options,
        )
        .await?;
        Ok::<_, Failure>(())
    })?;
    figures.sqlite_unchanged_ratio = figures.sqlite_items_unchanged / figures.sqlite_items_first;
    figures.sqlite_changed_ratio = figures.sqlite_items_changed / figures.sqlite_items_first;

    // sqlite3 .import of the same items file into a plain table.
    match sqlite3_import(&work.path().join("raw.db"), &items) {
        Ok(raw) => {
            figures.sqlite3_import = Some(raw);
            figures.sqlite_vs_sqlite3 = Some(figures.sqlite_items_first / raw);
            say.line(format_args!(
                "sqlite3 .import of items.csv: {raw:.2} s; relance/sqlite3 = {:.2}",
                figures.sqlite_items_first / raw
            ));
        }
        Err(e) => say.line(format_args!("sqlite3 .import: not measured ({e})")),
    }
    say.line(format_args!(
        "SQLite re-import / first import: unchanged {:.2}, 2% changed {:.2} (target <= 1)",
        figures.sqlite_unchanged_ratio, figures.sqlite_changed_ratio
    ));

    if args.postgres != "none" {
        rt.block_on(postgres(
            &say,
            &mut figures,
            &args.postgres,
            &config,
            (&parties, &items, &changed),
            &options,
        ))?;
    }
    figures.peak_mib = peak_rss_mib();
    if let Some(peak) = figures.peak_mib {
        say.line(format_args!("peak memory of this process: {peak:.0} MiB"));
    }
    if args.json {
        let text = serde_json::to_string_pretty(&figures).map_err(fail)?;
        outln!("{text}");
    }
    Ok(())
}

/// The options of every bench import: ISO dates, no clearing, the bench day.
pub(crate) fn bench_options(today: chrono::NaiveDate) -> Options {
    Options {
        kind: None,
        full: Full::No,
        dry_run: false,
        date_format: DateFormat::Iso,
        today,
        now: "2026-11-20T06:00:00Z".into(),
        origin: "bench".into(),
    }
}

/// A copy of `items` in which every 50th item changed: an open one is paid
/// (`remaining` 0), one already paid gets a comment. Returns how many.
pub(crate) fn write_changed(items: &Path, out: &Path) -> anyhow::Result<u64> {
    let mut reader = csv::Reader::from_path(items)?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("items.csv has no {name} column"))
    };
    let (remaining, comment) = (column("remaining")?, column("comment")?);
    let mut writer = csv::Writer::from_path(out)?;
    writer.write_record(&headers)?;
    let mut changed = 0;
    for (i, record) in reader.records().enumerate() {
        let mut record = record?;
        if i % 50 == 0 {
            let open = record
                .get(remaining)
                .is_some_and(|r| !r.trim().trim_start_matches(['0', '.', ',']).is_empty());
            let fields: Vec<String> = record
                .iter()
                .enumerate()
                .map(|(j, f)| match j {
                    _ if j == remaining && open => "0".to_string(),
                    _ if j == comment && !open => "changed by the bench".to_string(),
                    _ => f.to_string(),
                })
                .collect();
            record = csv::StringRecord::from(fields);
            changed += 1;
        }
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(changed)
}

/// Imports without timing (what a measured import needs before it).
async fn untimed_import(
    url: &str,
    config: &relance_dsl::model::Config,
    files: &[PathBuf],
    options: &Options,
) -> Result<(), Failure> {
    let store = Store::open(url).await.map_err(fail)?;
    import::import(&store, config, files, options)
        .await
        .map_err(fail)?;
    store.close().await;
    Ok(())
}

/// Imports into the store at `url`, prints the rate and the counts,
/// returns the seconds.
async fn timed_import(
    say: &Say,
    label: &str,
    url: &str,
    config: &relance_dsl::model::Config,
    files: &[PathBuf],
    options: &Options,
) -> Result<f64, Failure> {
    let store = Store::open(url).await.map_err(fail)?;
    let t = Instant::now();
    let report = import::import(&store, config, files, options)
        .await
        .map_err(fail)?;
    let secs = t.elapsed().as_secs_f64();
    store.close().await;
    let sum = |f: fn(&import::FileReport) -> u64| report.files.iter().map(f).sum::<u64>();
    let rows = sum(|f| f.rows);
    say.line(format_args!(
        "relance import, {label}: {rows} rows in {secs:.2} s ({:.0} rows/s; {} inserted, {} updated, {} unchanged)",
        rows as f64 / secs,
        sum(|f| f.inserted),
        sum(|f| f.updated),
        sum(|f| f.unchanged),
    ));
    Ok(secs)
}

pub(crate) fn sqlite3_import(db: &Path, items: &Path) -> anyhow::Result<f64> {
    let t = Instant::now();
    let status = Command::new("sqlite3")
        .arg(db)
        .arg(format!(".import --csv {} items_raw", items.display()))
        .status()?;
    anyhow::ensure!(status.success(), "sqlite3 exited with {status}");
    Ok(t.elapsed().as_secs_f64())
}

/// `psql \copy` of `items` into a new table of text columns named after
/// its header, in the database at `url`; the seconds of the copy alone.
fn psql_copy(url: &str, items: &Path) -> anyhow::Result<f64> {
    let header = std::fs::read_to_string(items)?
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let columns: Vec<String> = header
        .split(',')
        .map(|c| format!("\"{}\" text", c.trim().replace('"', "")))
        .collect();
    let psql = |command: &str| -> anyhow::Result<()> {
        let status = Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", command])
            .status()?;
        anyhow::ensure!(status.success(), "psql exited with {status}");
        Ok(())
    };
    psql(&format!("CREATE TABLE items_raw ({})", columns.join(", ")))?;
    let t = Instant::now();
    psql(&format!(
        "\\copy items_raw FROM '{}' WITH (FORMAT csv, HEADER true)",
        items.display()
    ))?;
    Ok(t.elapsed().as_secs_f64())
}

/// The PostgreSQL figures, in a database created for them and dropped.
async fn postgres(
    say: &Say,
    figures: &mut ImportFigures,
    admin_url: &str,
    config: &relance_dsl::model::Config,
    (parties, items, changed): (&[PathBuf], &Path, &Path),
    options: &Options,
) -> Result<(), Failure> {
    let mut admin = match PgConnection::connect(admin_url).await {
        Ok(c) => c,
        Err(e) => {
            say.line(format_args!("PostgreSQL: not measured ({e})"));
            return Ok(());
        }
    };
    let name = format!("relance_bench_{}", std::process::id());
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .map_err(fail)?;
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    let url = format!("{base}/{name}");
    let result = async {
        untimed_import(&url, config, parties, options).await?;
        let first = timed_import(
            say,
            "PostgreSQL, items.csv into an empty items table",
            &url,
            config,
            &[items.to_path_buf()],
            options,
        )
        .await?;
        figures.postgres_items_first = Some(first);
        match psql_copy(&url, items) {
            Ok(copy) => {
                figures.psql_copy = Some(copy);
                figures.postgres_vs_copy = Some(first / copy);
                say.line(format_args!(
                    "psql \\copy of items.csv into a table of text columns: {copy:.2} s; relance/copy = {:.2} (target <= 2)",
                    first / copy
                ));
            }
            Err(e) => say.line(format_args!("psql \\copy: not measured ({e})")),
        }
        let again = timed_import(
            say,
            "PostgreSQL, items.csv with 2% changed",
            &url,
            config,
            &[changed.to_path_buf()],
            options,
        )
        .await?;
        figures.postgres_items_changed = Some(again);
        figures.postgres_changed_ratio = Some(again / first);
        say.line(format_args!(
            "PostgreSQL re-import with 2% changed / first import = {:.2} (target <= 1)",
            again / first
        ));
        Ok::<_, Failure>(())
    }
    .await;
    admin
        .execute(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await
        .map_err(fail)?;
    result
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
    generate_and_import(
        &Say { quiet: false },
        planner,
        (customers, items),
        work,
        today,
    )
    .await
}

/// `(customers, items)` generated for `today` into `work/data` and imported
/// into a new SQLite file inside `work`; its URL.
async fn generate_and_import(
    say: &Say,
    planner: &relance_engine::planner::Planner,
    (customers, items): (usize, usize),
    work: &Path,
    today: chrono::NaiveDate,
) -> Result<String, Failure> {
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
    let options = bench_options(today);
    let url = format!("sqlite://{}", work.join("bench.db").display());
    timed_import(
        say,
        "SQLite",
        &url,
        &planner.config,
        std::slice::from_ref(&data),
        &options,
    )
    .await?;
    Ok(url)
}

/// The floor of planning: the per-customer earliest due date and sum of
/// remaining of the open items, one SQL aggregate read to the end; returns
/// the groups and the seconds.
pub(crate) async fn raw_aggregate(store: &Store) -> Result<(usize, f64), Failure> {
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
        relance_engine::store::Tx::Postgres(c) => sqlx::query_as(
            "SELECT customer, MIN(due_date), SUM(remaining)::BIGINT FROM items \
             WHERE remaining > 0 GROUP BY customer",
        )
        .fetch_all(&mut **c)
        .await
        .map_err(fail)?,
    };
    tx.rollback().await.map_err(fail)?;
    Ok((groups.len(), t.elapsed().as_secs_f64()))
}

/// [`generated_store`] without a word on stdout (`bench day --json`).
pub(crate) async fn generated_store_quiet(
    planner: &relance_engine::planner::Planner,
    sizes: (usize, usize),
    work: &Path,
    today: chrono::NaiveDate,
) -> Result<String, Failure> {
    generate_and_import(&Say { quiet: true }, planner, sizes, work, today).await
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
            let (groups, secs) = raw_aggregate(&store).await?;
            raw = raw.min(secs);
            outln!("raw SQL aggregate over open items: {groups} customers in {secs:.2} s");
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
