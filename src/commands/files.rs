//! `relance attach` (attach files to items or accounts, one by one or a
//! directory at once) and `relance files` (list, hide, purge): the same
//! engine functions as the admin API's `/items/{c}/{r}/files` and
//! `/files/{id}`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use bytes::Bytes;
use relance_engine::files::{self, FileError, FileStore, Upload};
use relance_engine::store::Store;
use relance_engine::store::files::{FileChange, FileFilter, FileRow};

use crate::Failure;
use crate::options::{Declares as _, Global, Stored};

/// `--files`, `--max-file-size`: where attached files are kept.
#[derive(Debug, Clone, clap::Args)]
pub struct FilesOption {
    /// The file store: a directory (default: `<db name>-files/` beside the
    /// SQLite file; required with PostgreSQL), or an S3-compatible bucket
    /// `s3://BUCKET[/PREFIX]` (credentials and endpoint from `AWS_*`).
    #[arg(long = "files", env = "RELANCE_FILES", value_name = "DIR|s3://BUCKET")]
    pub files_dir: Option<PathBuf>,
    /// The largest file accepted, in MB (at most and by default 50).
    #[arg(long, env = "RELANCE_MAX_FILE_SIZE", value_name = "MB")]
    pub max_file_size: Option<u64>,
}

impl FilesOption {
    /// The file store these options name for `store`.
    pub fn open(&self, store: &Store) -> Result<FileStore, Failure> {
        let dir = match (&self.files_dir, store.sqlite_file()) {
            (Some(dir), _) => dir.clone(),
            (None, Some(file)) => FileStore::default_dir(&file),
            (None, None) => {
                return Err(Failure::Usage(
                    "give the file store with --files DIR (or RELANCE_FILES) when the store is not a SQLite file".into(),
                ));
            }
        };
        let files = FileStore::open(&dir.display().to_string())
            .map_err(|e| Failure::Other(anyhow::Error::new(e)))?;
        Ok(match self.max_file_size {
            Some(mb) => files.with_max_size(mb.saturating_mul(1024 * 1024)),
            None => files,
        })
    }
}

/// `--link-key-file`, `--link-key-previous-file`, `--public-url`: how the
/// links given to customers (file downloads, the customer page) are
/// signed, and the address they start with.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LinkArgs {
    /// The key signing customers' links (32 bytes or more); else
    /// `RELANCE_LINK_KEY`. Without a key no link is made and none opens.
    #[arg(long, value_name = "FILE")]
    pub link_key_file: Option<PathBuf>,
    /// The previous link key, accepted during a rotation; else
    /// `RELANCE_LINK_KEY_PREVIOUS`.
    #[arg(long, value_name = "FILE")]
    pub link_key_previous_file: Option<PathBuf>,
    /// The public address links start with, over the settings' `public_url`.
    #[arg(long, env = "RELANCE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

impl LinkArgs {
    /// The signer of these options (`None`: no key anywhere); a key too
    /// short or unreadable is a usage error.
    pub fn signer(&self) -> Result<Option<relance_engine::links::Signer>, Failure> {
        relance_engine::links::Signer::from_config(
            self.link_key_file.as_deref(),
            self.link_key_previous_file.as_deref(),
        )
        .map_err(|e| Failure::Usage(e.to_string()))
    }

    /// `--public-url` without its trailing `/`.
    pub fn public_url(&self) -> Option<String> {
        self.public_url
            .as_deref()
            .map(|u| u.trim_end_matches('/').to_string())
    }
}

/// The arguments of `relance attach`.
#[derive(Debug, clap::Args)]
pub struct AttachArgs {
    /// `CUSTOMER/REFERENCE` (an item) or `CUSTOMER` (the whole account).
    #[arg(required_unless_present = "dir", conflicts_with = "dir")]
    item: Option<String>,
    /// The files to attach.
    #[arg(required_unless_present = "dir")]
    paths: Vec<PathBuf>,
    /// Attach a whole directory: `DIR/<customer>/<reference>.<ext>`, or the
    /// rows of `DIR/manifest.csv` (`customer,reference,file[,share,description]`).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Who may see them: `internal` (colleagues only) or `customer` (links in emails too).
    #[arg(long, value_parser = ["internal", "customer"], default_value = "internal")]
    share: String,
    /// A description kept with each file.
    #[arg(long, value_name = "TEXT")]
    description: Option<String>,
    #[command(flatten)]
    files: FilesOption,
}

/// The arguments of `relance files`.
#[derive(Debug, clap::Args)]
pub struct FilesArgs {
    /// What to do; without one, list the files.
    #[command(subcommand)]
    pub action: Option<FilesAction>,
    /// Only the files of `CUSTOMER/REFERENCE`, or of `CUSTOMER` (its items and the account).
    item: Option<String>,
    /// Hidden files too.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    files: FilesOption,
}

/// The subcommands of `relance files`, each with the shared options
/// (`relance files purge --dry-run --db URL` as every other command).
#[derive(Debug, clap::Subcommand)]
pub enum FilesAction {
    /// Hide a file: out of lists and emails, its links dead at once.
    Hide(Stored<HideArgs>),
    /// Delete the files of items cleared longer ago than `files_kept_after_clearing`.
    Purge(Stored<PurgeArgs>),
}

impl FilesAction {
    /// The shared options of the subcommand.
    pub fn declared(&self) -> crate::options::Declared<'_> {
        match self {
            FilesAction::Hide(c) => c.declared(),
            FilesAction::Purge(c) => c.declared(),
        }
    }
}

/// The arguments of `relance files hide`.
#[derive(Debug, clap::Args)]
pub struct HideArgs {
    /// The file's id (as `relance files` prints it).
    id: i64,
}

/// The arguments of `relance files purge`.
#[derive(Debug, clap::Args)]
pub struct PurgeArgs {
    /// List what would be deleted, delete nothing.
    #[arg(long)]
    dry_run: bool,
    /// Purge as of this date (default: today in the settings' timezone).
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<chrono::NaiveDate>,
    #[command(flatten)]
    files: FilesOption,
}

/// `C/REF` → `(C, Some(REF))`, `C` → `(C, None)`.
fn target(item: &str) -> Result<(String, Option<String>), Failure> {
    let bad = || Failure::Usage(format!("`{item}` is not CUSTOMER/REFERENCE or CUSTOMER"));
    match item.split_once('/') {
        Some((c, r)) if !c.is_empty() && !r.is_empty() => Ok((c.into(), Some(r.into()))),
        Some(_) => Err(bad()),
        None if !item.is_empty() => Ok((item.into(), None)),
        None => Err(bad()),
    }
}

/// One file to attach, read from disk.
struct Job {
    customer: String,
    reference: Option<String>,
    path: PathBuf,
    share: String,
    description: Option<String>,
}

/// The files of `attach --dir DIR`.
fn jobs_of_dir(dir: &Path, share: &str, description: Option<&str>) -> Result<Vec<Job>, Failure> {
    let manifest = dir.join("manifest.csv");
    let mut jobs = Vec::new();
    if manifest.is_file() {
        let mut reader = csv::Reader::from_path(&manifest)
            .with_context(|| format!("reading {}", manifest.display()))?;
        let headers = reader.headers().map_err(anyhow::Error::from)?.clone();
        let col = |name: &str| headers.iter().position(|h| h.trim() == name);
        let (Some(c), Some(r), Some(f)) = (col("customer"), col("reference"), col("file")) else {
            return Err(Failure::Usage(format!(
                "{} needs the columns customer, reference, file",
                manifest.display()
            )));
        };
        let (s, d) = (col("share"), col("description"));
        for (n, row) in reader.records().enumerate() {
            let row = row.with_context(|| format!("{} line {}", manifest.display(), n + 2))?;
            let get = |i: Option<usize>| {
                i.and_then(|i| row.get(i))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            let (Some(customer), Some(file)) = (get(Some(c)), get(Some(f))) else {
                return Err(Failure::Usage(format!(
                    "{} line {}: customer and file are required",
                    manifest.display(),
                    n + 2
                )));
            };
            jobs.push(Job {
                customer,
                reference: get(Some(r)),
                path: dir.join(file),
                share: get(s).unwrap_or_else(|| share.to_string()),
                description: get(d).or_else(|| description.map(str::to_string)),
            });
        }
        return Ok(jobs);
    }
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut customers: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    customers.sort();
    for customer_dir in customers {
        let customer = customer_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&customer_dir)
            .with_context(|| format!("reading {}", customer_dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            let reference = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            jobs.push(Job {
                customer: customer.clone(),
                reference: Some(reference),
                path,
                share: share.to_string(),
                description: description.map(str::to_string),
            });
        }
    }
    Ok(jobs)
}

/// Runs `relance attach`.
pub fn attach(cli: &Global, args: &AttachArgs) -> Result<(), Failure> {
    let jobs = match (&args.dir, &args.item) {
        (Some(dir), _) => jobs_of_dir(dir, &args.share, args.description.as_deref())?,
        (None, Some(item)) => {
            let (customer, reference) = target(item)?;
            args.paths
                .iter()
                .map(|path| Job {
                    customer: customer.clone(),
                    reference: reference.clone(),
                    path: path.clone(),
                    share: args.share.clone(),
                    description: args.description.clone(),
                })
                .collect()
        }
        (None, None) => {
            return Err(Failure::Usage(
                "give CUSTOMER/REFERENCE FILE... or --dir DIR".into(),
            ));
        }
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (attached, failed) = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let fs = args.files.open(&store)?;
        let mut attached = Vec::new();
        let mut failed = 0;
        for job in jobs {
            let content = match std::fs::read(&job.path) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", job.path.display());
                    failed += 1;
                    continue;
                }
            };
            let upload = Upload {
                customer: job.customer,
                reference: job.reference,
                name: job
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                content: Bytes::from(content),
                visibility: job.share,
                description: job.description,
            };
            match files::attach(&store, &fs, upload, &now, "cli").await {
                Ok(row) => attached.push(row),
                Err(e) if e.is_refusal() => {
                    eprintln!("error: {}: {e}", job.path.display());
                    failed += 1;
                }
                Err(e) => {
                    store.close().await;
                    return Err(Failure::Other(anyhow::Error::new(e)));
                }
            }
        }
        store.close().await;
        Ok::<_, Failure>((attached, failed))
    })?;
    if cli.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&attached).map_err(anyhow::Error::from)?
        );
    } else {
        for f in &attached {
            outln!(
                "attached #{} {} to {} ({}, {} bytes)",
                f.id,
                f.name,
                files::item_label(&f.customer, &f.reference),
                f.visibility,
                f.size
            );
        }
    }
    if failed > 0 {
        eprintln!("error: {failed} file(s) not attached");
        return Err(Failure::Reported);
    }
    Ok(())
}

fn print(rows: &[FileRow], json: bool) -> Result<(), Failure> {
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(rows).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    if rows.is_empty() {
        outln!("no file");
        return Ok(());
    }
    let w_id = rows
        .iter()
        .map(|f| f.id.to_string().len())
        .max()
        .unwrap_or(0)
        .max(2);
    let w_item = rows
        .iter()
        .map(|f| files::item_label(&f.customer, &f.reference).chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    outln!(
        "{:>w_id$}  {:<w_item$}  {:<8}  {:>10}  NAME",
        "ID",
        "ITEM",
        "SHARE",
        "SIZE"
    );
    for f in rows {
        let mut line = format!(
            "{:>w_id$}  {:<w_item$}  {:<8}  {:>10}  {}",
            f.id,
            files::item_label(&f.customer, &f.reference),
            f.visibility,
            f.size,
            f.name
        );
        if let Some(d) = &f.description {
            line.push_str(&format!(" — {d}"));
        }
        if f.hidden {
            line.push_str(" (hidden)");
        }
        outln!("{line}");
    }
    Ok(())
}

/// Runs `relance files`.
pub fn run(cli: &Global, args: &FilesArgs) -> Result<(), Failure> {
    let now = chrono::Utc::now();
    let now_text = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    match &args.action {
        None => {
            let mut filter = FileFilter {
                hidden: args.all,
                ..FileFilter::default()
            };
            if let Some(item) = &args.item {
                let (customer, reference) = target(item)?;
                filter.customer = Some(customer);
                filter.reference = reference;
            }
            let rows = super::runtime()?.block_on(async {
                let store = super::open_store(cli).await?;
                let rows = async {
                    let mut tx = store.begin().await?;
                    let rows = relance_engine::store::files::list(&mut tx, &filter).await?;
                    tx.rollback().await?;
                    Ok::<_, relance_engine::store::StoreError>(rows)
                }
                .await;
                store.close().await;
                rows.map_err(|e| Failure::Other(anyhow::Error::new(e)))
            })?;
            print(&rows, cli.json)
        }
        Some(FilesAction::Hide(c)) => {
            let id = &c.args.id;
            let row = super::runtime()?.block_on(async {
                let store = super::open_store(cli).await?;
                let change = FileChange {
                    hidden: Some(true),
                    ..FileChange::default()
                };
                let row = files::change(&store, *id, &change, &now_text, "cli").await;
                store.close().await;
                row.map_err(|e| match e {
                    FileError::NoFile(_) => Failure::Usage(e.to_string()),
                    other => Failure::Other(anyhow::Error::new(other)),
                })
            })?;
            if cli.json {
                print(&[row], true)
            } else {
                outln!("hidden #{} {}", row.id, row.name);
                Ok(())
            }
        }
        Some(FilesAction::Purge(c)) => {
            let PurgeArgs {
                dry_run,
                date,
                files: option,
            } = &c.args;
            let config = super::valid_config(&cli.config)?;
            let today =
                date.unwrap_or_else(|| now.with_timezone(&config.settings.timezone).date_naive());
            let kept = config.settings.files_kept_days;
            let rows = super::runtime()?.block_on(async {
                let store = super::open_store(cli).await?;
                let fs = option.open(&store)?;
                let rows = files::purge(&store, &fs, today, kept, *dry_run, &now_text, "cli").await;
                store.close().await;
                rows.map_err(|e| Failure::Other(anyhow::Error::new(e)))
            })?;
            if cli.json {
                return print(&rows, true);
            }
            let verb = if *dry_run { "would delete" } else { "deleted" };
            for f in &rows {
                outln!(
                    "{verb} #{} {} of {}",
                    f.id,
                    f.name,
                    files::item_label(&f.customer, &f.reference)
                );
            }
            outln!(
                "{} {} file(s) of items cleared {kept} days or more before {today}",
                verb,
                rows.len()
            );
            Ok(())
        }
    }
}
