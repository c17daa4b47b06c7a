//! `relance plan` and `relance run`: the day's actions, alerts and escalations,
//! printed (plan) or recorded and executed (run).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use relance_engine::planner::output::{ActionJson, PlanJson};
use relance_engine::planner::{AccountPlan, Planner};
use relance_engine::run::{self, RunError, Selection, When};

use super::deliver::{self, MailArgs, MailerKind};
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
    mailer: MailerKind,
    #[command(flatten)]
    mail: MailArgs,
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

/// Runs `relance run`: plans and records the day, then delivers every due
/// action with the same functions as the worker (exit 1 when sends failed
/// or wait for a retry, or when sends are held).
pub fn run(cli: &Cli, args: &RunArgs) -> Result<(), Failure> {
    let (planner, templates) = super::compiled(&cli.config)?;
    let planner = Arc::new(planner);
    let when = args.when.when();
    let selection = Selection {
        account: args.account.clone(),
        ..Selection::all(&planner)
    };
    let now = Utc::now();
    let origin = format!("run:{}", now.format("%Y%m%dT%H%M%SZ"));
    let (outcome, report, states) = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let result = async {
            let delivery = deliver::delivery(
                &store,
                planner.clone(),
                templates,
                args.mailer,
                &args.mail,
                &origin,
            )?;
            let outcome = run::run(&store, &planner, when, &selection, now, &origin)
                .await
                .map_err(run_error)?;
            let report = delivery
                .deliver_due(now)
                .await
                .map_err(|e| Failure::Other(e.into()))?;
            let ids: Vec<i64> = outcome.recorded.iter().map(|r| r.id).collect();
            let states = relance_engine::store::delivery::states(&store, &ids)
                .await
                .map_err(|e| Failure::Other(e.into()))?;
            Ok::<_, Failure>((outcome, report, states))
        }
        .await;
        store.close().await;
        result
    })?;
    let states: std::collections::HashMap<i64, String> = states.into_iter().collect();

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
        a.state = Some(
            states
                .get(&r.id)
                .cloned()
                .unwrap_or_else(|| r.state.clone()),
        );
        doc.actions.push(a);
    }
    doc.sort();
    if cli.json {
        print_json(&doc)?;
    } else {
        print_human(&doc, &[], false);
        if !cli.quiet {
            let delivered = deliver::describe(&report, &args.mail.outbox, args.mailer);
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
                    format!("; {delivered}")
                }
            );
        }
    }
    if let Some(why) = &report.held {
        eprintln!("error: {why}");
        return Err(Failure::Reported);
    }
    if report.failed > 0 || report.retried > 0 {
        eprintln!(
            "error: {} send{} failed, {} to retry (see the history of the accounts; `relance worker` retries)",
            report.failed,
            if report.failed == 1 { "" } else { "s" },
            report.retried
        );
        return Err(Failure::Reported);
    }
    Ok(())
}
