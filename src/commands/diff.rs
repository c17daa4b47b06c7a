//! `relance diff --against <git-rev|dir> [--date D]`: the day's actions under
//! another configuration beside this one's, on the same data — for reviewing
//! a change to scenario files before it is merged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, anyhow};
use chrono::NaiveDate;
use relance_engine::planner::Planner;
use relance_engine::planner::output::ActionJson;
use relance_engine::run::{self, Selection};
use serde::Serialize;

use crate::Failure;
use crate::options::Global;

/// `relance diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The other configuration: a directory, or a git revision of the
    /// repository holding --config (`main`, `HEAD~1`, a commit).
    #[arg(long)]
    against: String,
    #[command(flatten)]
    when: super::plan::DateArgs,
    /// One account only.
    #[arg(long)]
    account: Option<String>,
}

#[derive(Debug, Serialize)]
struct Change {
    account: String,
    before: ActionJson,
    after: ActionJson,
}

#[derive(Debug, Serialize)]
struct Report {
    date: NaiveDate,
    against: String,
    /// Actions only this configuration plans.
    added: Vec<ActionJson>,
    /// Actions only the other configuration plans.
    removed: Vec<ActionJson>,
    /// Accounts whose action differs.
    changed: Vec<Change>,
}

/// The other configuration on disk: the directory itself, or the revision's
/// copy of --config extracted into a temporary directory.
fn other_config(
    config: &Path,
    against: &str,
) -> Result<(PathBuf, Option<tempfile::TempDir>), Failure> {
    let as_dir = Path::new(against);
    if as_dir.is_dir() {
        return Ok((as_dir.to_path_buf(), None));
    }
    let git = |args: &[&str]| -> Result<Vec<u8>, Failure> {
        let out = Command::new("git")
            .arg("-C")
            .arg(config)
            .args(args)
            .output()
            .context("running git")?;
        if !out.status.success() {
            return Err(Failure::Usage(format!(
                "--against {against}: neither a directory nor a git revision of {} ({})",
                config.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(out.stdout)
    };
    git(&["rev-parse", "--verify", &format!("{against}^{{commit}}")])?;
    // Run from inside the configuration, `git archive` gives its tree alone.
    let tar = git(&["archive", "--format=tar", against, "--", "."])?;
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let mut child = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("running tar")?;
    {
        use std::io::Write as _;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| anyhow!("tar has no stdin"))?;
        stdin.write_all(&tar).context("extracting the revision")?;
    }
    let status = child.wait().context("extracting the revision")?;
    if !status.success() {
        return Err(Failure::Other(anyhow!("tar could not extract {against}")));
    }
    Ok((dir.path().to_path_buf(), Some(dir)))
}

fn without_why(mut a: ActionJson) -> ActionJson {
    a.why.clear();
    a
}

/// Runs the command.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let planner = super::plan::planner(&cli.config)?;
    let (other_dir, _keep) = other_config(&cli.config, &args.against)?;
    let other: Planner = super::plan::planner(&other_dir).map_err(|e| match e {
        Failure::Reported => {
            eprintln!(
                "error: the configuration of --against {} is invalid",
                args.against
            );
            Failure::Reported
        }
        other => other,
    })?;
    let when = args.when.when();
    let selection = Selection {
        account: args.account.clone(),
        keep_all: false,
        trace: false,
        columns: relance_engine::store::facts::ItemColumns::ALL,
        timezone: None,
        codes: None,
    };
    let (mine, theirs) = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let result = async {
            let accounts = run::load(&store, &selection).await?;
            let plan = |p: &Planner| -> BTreeMap<String, ActionJson> {
                accounts
                    .iter()
                    .filter_map(|a| {
                        p.plan_account(a, when.date_for(p, a))
                            .action
                            .map(|x| (a.code.to_string(), without_why(ActionJson::new(&x))))
                    })
                    .collect()
            };
            Ok::<_, run::RunError>((plan(&planner), plan(&other)))
        }
        .await
        .map_err(super::plan::run_error);
        store.close().await;
        result
    })?;

    let mut report = Report {
        date: when.headline(&planner),
        against: args.against.clone(),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
    };
    for (account, after) in &mine {
        match theirs.get(account) {
            None => report.added.push(after.clone()),
            Some(before) if before != after => report.changed.push(Change {
                account: account.clone(),
                before: before.clone(),
                after: after.clone(),
            }),
            Some(_) => {}
        }
    }
    for (account, before) in &theirs {
        if !mine.contains_key(account) {
            report.removed.push(before.clone());
        }
    }
    if cli.json {
        let text = serde_json::to_string_pretty(&report).context("writing JSON")?;
        outln!("{text}");
        return Ok(());
    }
    outln!(
        "{}: against {}: {} added, {} removed, {} changed",
        report.date,
        report.against,
        report.added.len(),
        report.removed.len(),
        report.changed.len()
    );
    let line = |a: &ActionJson| {
        format!(
            "{}/{} [{}] leader {}, {} item(s), planned for {}{}",
            a.scenario,
            a.step,
            a.kinds.join(", "),
            a.leader,
            a.items.len(),
            a.planned_for,
            if a.late { " (late)" } else { "" }
        )
    };
    for a in &report.added {
        outln!("+ {:<10} {}", a.account, line(a));
    }
    for a in &report.removed {
        outln!("- {:<10} {}", a.account, line(a));
    }
    for c in &report.changed {
        outln!("~ {:<10} was {}", c.account, line(&c.before));
        outln!("  {:<10} now {}", "", line(&c.after));
    }
    Ok(())
}
