//! `relance plan` and `relance run`: the day's actions, alerts and escalations,
//! printed (plan) or recorded and executed (run).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use relance_engine::planner::output::{ActionJson, PlanJson};
use relance_engine::planner::{AccountPlan, Planner};
use relance_engine::run::{self, Recorded, RunError, Selection, When};

use crate::{Cli, Failure};

/// When the day is: `--date` or `--at`.
#[derive(Debug, Clone, clap::Args)]
pub struct DateArgs {
    /// The run date for every account (YYYY-MM-DD).
    #[arg(long, conflicts_with = "at")]
    pub date: Option<NaiveDate>,
    /// The run instant (RFC 3339, default now): each account's date is its
    /// date there, in its timezone.
    #[arg(long)]
    pub at: Option<DateTime<Utc>>,
}

impl DateArgs {
    /// The run's time.
    pub fn when(&self) -> When {
        match (self.date, self.at) {
            (Some(d), _) => When::Date(d),
            (None, Some(at)) => When::At(at),
            (None, None) => When::At(Utc::now()),
        }
    }
}

/// `relance plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    when: DateArgs,
    /// One account only.
    #[arg(long)]
    account: Option<String>,
    /// Explain each decision (with --account: the whole reasoning).
    #[arg(long)]
    explain: bool,
}

/// How `run` delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mailer {
    /// Record only; a worker sends later.
    None,
    /// Write one message per email or letter into --outbox.
    File,
    /// Send over SMTP (the worker's job; not available from `run` yet).
    Smtp,
}

/// `relance run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    when: DateArgs,
    /// One account only.
    #[arg(long)]
    account: Option<String>,
    /// How to deliver.
    #[arg(long, value_enum, default_value = "file")]
    mailer: Mailer,
    /// Where the file mailer writes.
    #[arg(long, default_value = "outbox")]
    outbox: PathBuf,
}

/// A checked configuration, compiled for planning.
pub fn planner(dir: &Path) -> Result<Planner, Failure> {
    let report = super::valid_report(dir)?;
    Planner::new(&report.checked.config, &report.sources)
        .with_context(|| format!("compiling the configuration in {}", dir.display()))
        .map_err(Failure::Other)
}

/// `--account` naming no account is a usage error; anything else failed.
pub fn run_error(e: RunError) -> Failure {
    match e {
        RunError::UnknownAccount(_) => Failure::Usage(e.to_string()),
        other => Failure::Other(anyhow::Error::new(other)),
    }
}

/// Runs `relance plan`.
pub fn plan(cli: &Cli, args: &PlanArgs) -> Result<(), Failure> {
    let planner = planner(&cli.config)?;
    let when = args.when.when();
    let selection = Selection {
        account: args.account.clone(),
        keep_all: args.explain && args.account.is_some(),
        trace: args.explain,
        ..Selection::all(&planner)
    };
    let plans = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let plans = run::plan(&store, &planner, when, &selection)
            .await
            .map_err(run_error);
        store.close().await;
        plans
    })?;
    let mut doc = PlanJson {
        date: Some(when.headline(&planner)),
        ..PlanJson::default()
    };
    for p in &plans {
        doc.push(p);
    }
    doc.sort();
    if cli.json {
        print_json(&doc)?;
    } else {
        print_human(&doc, &plans, args.explain);
    }
    Ok(())
}

fn print_json(doc: &PlanJson) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(doc).context("writing JSON")?;
    outln!("{text}");
    Ok(())
}

fn print_human(doc: &PlanJson, plans: &[AccountPlan], explain: bool) {
    let date = doc.date.map(|d| d.to_string()).unwrap_or_default();
    outln!(
        "{date}: {} action{}, {} alert{}, {} escalation{}",
        doc.actions.len(),
        if doc.actions.len() == 1 { "" } else { "s" },
        doc.alerts.len(),
        if doc.alerts.len() == 1 { "" } else { "s" },
        doc.escalations.len(),
        if doc.escalations.len() == 1 { "" } else { "s" },
    );
    for a in &doc.actions {
        outln!("{}", action_line(a));
        if explain {
            outln!("    why: {}", a.why);
        }
    }
    for a in &doc.alerts {
        outln!(
            "  alert {} ({}) on {}{}",
            a.alert,
            a.level,
            a.account,
            a.item
                .as_ref()
                .map(|i| format!(" item {i}"))
                .unwrap_or_default()
        );
        if explain {
            outln!("    why: {}", a.why);
        }
    }
    for e in &doc.escalations {
        outln!(
            "  escalation {} on {}{}",
            e.escalation,
            e.account,
            e.switch
                .as_ref()
                .map(|s| format!(" → {s}"))
                .unwrap_or_default()
        );
        if explain {
            outln!("    why: {}", e.why);
        }
    }
    if explain {
        for p in plans {
            outln!(
                "{} on {} ({}):",
                p.account,
                p.date,
                p.scenario.as_deref().unwrap_or("skipped")
            );
            for line in &p.trace {
                outln!("  - {line}");
            }
        }
    }
}

fn action_line(a: &ActionJson) -> String {
    let extra = a.items.len().saturating_sub(1);
    format!(
        "  {:<10} {}/{} [{}] leader {}{}{}{}{}{}",
        a.account,
        a.scenario,
        a.step,
        a.kinds.join(", "),
        a.leader,
        if extra > 0 {
            format!(" (+{extra} item{})", if extra == 1 { "" } else { "s" })
        } else {
            String::new()
        },
        if a.late {
            format!(", late (due {})", a.planned_for)
        } else {
            String::new()
        },
        if a.to.is_empty() {
            String::new()
        } else {
            format!(", to {}", a.to.join(", "))
        },
        if a.cc.is_empty() {
            String::new()
        } else {
            format!(", cc {}", a.cc.join(", "))
        },
        a.state
            .as_ref()
            .map(|s| format!(" — {s}"))
            .unwrap_or_default(),
    )
}

/// Runs `relance run`.
pub fn run(cli: &Cli, args: &RunArgs) -> Result<(), Failure> {
    if args.mailer == Mailer::Smtp {
        return Err(Failure::Usage(
            "`--mailer smtp` is not available yet: use `--mailer file` or `--mailer none`".into(),
        ));
    }
    let planner = planner(&cli.config)?;
    let when = args.when.when();
    let selection = Selection {
        account: args.account.clone(),
        ..Selection::all(&planner)
    };
    let now = Utc::now();
    let origin = format!("run:{}", now.format("%Y%m%dT%H%M%SZ"));
    let (outcome, delivered) = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let result = async {
            let outcome = run::run(&store, &planner, when, &selection, now, &origin)
                .await
                .map_err(run_error)?;
            let delivered = match args.mailer {
                Mailer::File => {
                    deliver_to_files(&store, &planner, &outcome.recorded, &args.outbox).await?
                }
                Mailer::None | Mailer::Smtp => Vec::new(),
            };
            Ok::<_, Failure>((outcome, delivered))
        }
        .await;
        store.close().await;
        result
    })?;

    let mut doc = PlanJson {
        date: Some(when.headline(&planner)),
        ..PlanJson::default()
    };
    for p in &outcome.plans {
        let mut p = p.clone();
        p.action = None;
        doc.push(&p);
    }
    for r in &outcome.recorded {
        let mut a = ActionJson::new(&r.action);
        a.id = Some(r.id);
        a.state = Some(if delivered.contains(&r.id) {
            "sent".into()
        } else {
            r.state.clone()
        });
        doc.actions.push(a);
    }
    doc.sort();
    if cli.json {
        print_json(&doc)?;
    } else {
        print_human(&doc, &[], false);
        if !cli.quiet {
            eprintln!(
                "recorded {} action{}; {} alert{} raised, {} resolved; {} escalation{}{}",
                outcome.recorded.len(),
                if outcome.recorded.len() == 1 { "" } else { "s" },
                outcome.raised,
                if outcome.raised == 1 { "" } else { "s" },
                outcome.resolved,
                outcome.escalated,
                if outcome.escalated == 1 { "" } else { "s" },
                if delivered.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} delivered into {}",
                        delivered.len(),
                        args.outbox.display()
                    )
                }
            );
        }
    }
    Ok(())
}

/// The file mailer: one message per queued action that has something to
/// deliver, written into `outbox`; actions with nothing to deliver are done.
/// States become `sent` once the file is written.
async fn deliver_to_files(
    store: &relance_engine::store::Store,
    planner: &Planner,
    recorded: &[Recorded],
    outbox: &Path,
) -> Result<Vec<i64>, Failure> {
    let queued: Vec<&Recorded> = recorded.iter().filter(|r| r.state == "queued").collect();
    if queued.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(outbox)
        .with_context(|| format!("creating the outbox {}", outbox.display()))?;
    let from = planner
        .config
        .settings
        .from
        .clone()
        .or_else(|| planner.config.settings.company.clone())
        .unwrap_or_else(|| "relance".into());
    let mut sent = Vec::new();
    for r in queued {
        let a = &r.action;
        let delivers = a
            .kinds
            .iter()
            .any(|k| matches!(*k, "email" | "letter" | "notify"));
        if delivers {
            let name = format!(
                "{:06}-{}-{}.eml",
                r.id,
                sanitize(&a.account),
                sanitize(&a.step)
            );
            let path = outbox.join(name);
            let mut items: Vec<&str> = a.items.iter().map(|(_, r)| r.as_str()).collect();
            items.sort_unstable();
            let text = format!(
                "From: {from}\r\nTo: {}\r\n{}Subject: {} for account {}\r\nX-Relance-Action: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                 Step {} of scenario {} ({}), template {}.\r\nItems: {}\r\n",
                a.to.join(", "),
                if a.cc.is_empty() {
                    String::new()
                } else {
                    format!("Cc: {}\r\n", a.cc.join(", "))
                },
                a.step,
                a.account,
                r.id,
                a.step,
                a.scenario,
                a.kinds.join(", "),
                a.template.as_deref().unwrap_or("none"),
                items.join(", "),
            );
            // Written whole then renamed, so a crash leaves no half message.
            let tmp = path.with_extension("eml.tmp");
            std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        }
        sent.push(r.id);
    }
    let mut tx = store.begin().await.map_err(|e| Failure::Other(e.into()))?;
    relance_engine::store::runs::set_states(&mut tx, "sent", &sent)
        .await
        .map_err(|e| Failure::Other(e.into()))?;
    tx.commit().await.map_err(|e| Failure::Other(e.into()))?;
    Ok(sent)
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
