//! `relance simulate --from D1 --to D2 [--account A]`: each day's run replayed
//! in memory on a copy of the accounts, nothing paid, nothing written.

use chrono::NaiveDate;
use relance_engine::planner::output::ActionJson;
use relance_engine::planner::{self, Account};
use relance_engine::run::{self, Selection};
use serde::Serialize;

use crate::Failure;
use crate::options::Global;

/// `relance simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// First day.
    #[arg(long)]
    from: NaiveDate,
    /// Last day (included).
    #[arg(long)]
    to: NaiveDate,
    /// One account only.
    #[arg(long)]
    account: Option<String>,
}

/// One thing that happens to an account on a day.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Event {
    /// An action is recorded.
    Action {
        date: NaiveDate,
        #[serde(flatten)]
        action: Box<ActionJson>,
    },
    /// An escalation fires.
    Escalation {
        date: NaiveDate,
        escalation: String,
        switch: Option<String>,
    },
    /// An alert starts holding.
    AlertRaised {
        date: NaiveDate,
        alert: String,
        item: Option<String>,
        level: &'static str,
    },
    /// An alert stops holding.
    AlertResolved {
        date: NaiveDate,
        alert: String,
        item: Option<String>,
    },
}

#[derive(Debug, Serialize)]
struct Timeline {
    account: String,
    events: Vec<Event>,
}

#[derive(Debug, Serialize)]
struct Report {
    from: NaiveDate,
    to: NaiveDate,
    accounts: Vec<Timeline>,
}

fn reference(item: &str) -> Option<String> {
    if item.is_empty() {
        None
    } else {
        Some(item.split_once('/').map_or(item, |(_, r)| r).to_string())
    }
}

/// Runs the command.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    if args.to < args.from {
        return Err(Failure::Usage(format!(
            "--to {} is before --from {}",
            args.to, args.from
        )));
    }
    if (args.to - args.from).num_days() > 3660 {
        return Err(Failure::Usage("simulate at most ten years at once".into()));
    }
    let planner = super::plan::planner(&cli.config)?;
    let selection = Selection {
        account: args.account.clone(),
        ..Selection::all(&planner)
    };
    let mut accounts: Vec<Account> = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let accounts = run::load(&store, &selection)
            .await
            .map_err(super::plan::run_error);
        store.close().await;
        accounts
    })?;

    let mut timelines: Vec<Timeline> = accounts
        .iter()
        .map(|a| Timeline {
            account: a.code.to_string(),
            events: Vec::new(),
        })
        .collect();
    let mut date = args.from;
    while date <= args.to {
        for (account, timeline) in accounts.iter_mut().zip(&mut timelines) {
            let plan = planner.plan_account(account, date);
            for e in &plan.escalations {
                timeline.events.push(Event::Escalation {
                    date,
                    escalation: e.escalation.clone(),
                    switch: e.switch.clone(),
                });
            }
            if let Some(a) = &plan.action {
                timeline.events.push(Event::Action {
                    date,
                    action: Box::new(ActionJson::new(a)),
                });
            }
            let (raised, resolved) = plan.alert_changes(account);
            for a in raised {
                timeline.events.push(Event::AlertRaised {
                    date,
                    alert: a.alert.clone(),
                    item: a.item.as_ref().map(|k| k.reference.clone()),
                    level: a.level.as_str(),
                });
            }
            for (alert, item) in resolved {
                timeline.events.push(Event::AlertResolved {
                    date,
                    item: reference(&item),
                    alert,
                });
            }
            planner::apply(&planner, account, &plan);
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    timelines.retain(|t| !t.events.is_empty());
    let report = Report {
        from: args.from,
        to: args.to,
        accounts: timelines,
    };
    if cli.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::Other(anyhow::Error::new(e)))?;
        outln!("{text}");
        return Ok(());
    }
    outln!(
        "simulation from {} to {}, nothing paid: {} account(s) with events",
        report.from,
        report.to,
        report.accounts.len()
    );
    for t in &report.accounts {
        outln!("{}", t.account);
        for e in &t.events {
            match e {
                Event::Action { date, action } => outln!(
                    "  {date}  {}/{} [{}] leader {}{}",
                    action.scenario,
                    action.step,
                    action.kinds.join(", "),
                    action.leader,
                    if action.late {
                        format!(" (late, planned for {})", action.planned_for)
                    } else {
                        String::new()
                    }
                ),
                Event::Escalation {
                    date,
                    escalation,
                    switch,
                } => outln!(
                    "  {date}  escalation {escalation}{}",
                    switch
                        .as_ref()
                        .map(|s| format!(" → {s}"))
                        .unwrap_or_default()
                ),
                Event::AlertRaised {
                    date,
                    alert,
                    item,
                    level,
                } => outln!(
                    "  {date}  alert {alert} ({level}) raised{}",
                    item.as_ref()
                        .map(|i| format!(" on {i}"))
                        .unwrap_or_default()
                ),
                Event::AlertResolved { date, alert, item } => outln!(
                    "  {date}  alert {alert} resolved{}",
                    item.as_ref()
                        .map(|i| format!(" on {i}"))
                        .unwrap_or_default()
                ),
            }
        }
    }
    Ok(())
}
