//! `relance plan` and `relance run`: the day's actions, alerts and escalations,
//! printed (plan) or recorded and executed (run).

use relance_engine::money::Money;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use relance_engine::planner::output::{ActionJson, PlanJson, PlanJsonWriter};
use relance_engine::planner::{AccountPlan, Planner};
use relance_engine::run::{self, RunError, Selection, When};

use super::deliver::{self, MailArgs, MailerKind};
use crate::Failure;
use crate::options::Global;

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
pub fn plan(cli: &Global, args: &PlanArgs) -> Result<(), Failure> {
    let planner = planner(&cli.config)?;
    let when = args.when.when();
    let selection = Selection {
        account: args.account.clone(),
        keep_all: args.explain && args.account.is_some(),
        trace: args.explain,
        ..Selection::all(&planner)
    };
    if cli.json {
        return plan_json(cli, &planner, when, &selection);
    }
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
    print_human(&doc, &plans, &planner, args.explain);
    Ok(())
}

/// `relance plan --json`: each page's actions are written as soon as it is
/// planned (docs/planning.md, "Performance"); a closed pipe ends the
/// command with success, as every other output does.
fn plan_json(
    cli: &Global,
    planner: &Planner,
    when: When,
    selection: &Selection,
) -> Result<(), Failure> {
    let stdout = std::io::stdout().lock();
    let mut out = PlanJsonWriter::new(
        std::io::BufWriter::with_capacity(1 << 16, stdout),
        Some(when.headline(planner)),
    )
    .map_err(written)?;
    super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let planned = run::plan_each(&store, planner, when, selection, |plan| {
            out.push(&plan).map_err(RunError::Write)
        })
        .await;
        store.close().await;
        match planned {
            Err(RunError::Write(e)) => Err(written(e)),
            other => other.map(|_| ()).map_err(run_error),
        }
    })?;
    out.finish().map_err(written)?;
    Ok(())
}

/// A failed write to stdout: a closed pipe (`| head`) ends with success.
fn written(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    Failure::Other(anyhow::Error::new(e).context("writing to stdout"))
}

fn print_json(doc: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(doc).context("writing JSON")?;
    outln!("{text}");
    Ok(())
}

/// What people read beside an account's code: its name and amounts, from
/// its plan.
pub struct Names<'a> {
    /// Plans by account code.
    plans: HashMap<&'a str, &'a AccountPlan>,
    /// The settings' currency, which the amounts are in.
    currency: &'a str,
}

impl<'a> Names<'a> {
    /// From the day's plans.
    pub fn new(plans: &'a [AccountPlan], planner: &'a Planner) -> Names<'a> {
        Names {
            plans: plans.iter().map(|p| (p.account.as_str(), p)).collect(),
            currency: &planner.config.settings.currency,
        }
    }

    /// `C000042 Dupont SA` (the code alone when the plan is not at hand).
    pub fn who(&self, code: &str) -> String {
        match self.plans.get(code) {
            Some(p) if !p.name.is_empty() => format!("{code} {}", p.name),
            _ => code.to_string(),
        }
    }

    /// `C000042 Dupont SA (overdue 1,200.00 of 3,400.00 EUR)`.
    pub fn who_owes(&self, code: &str) -> String {
        match self.plans.get(code).and_then(|p| p.amounts) {
            Some((overdue, open)) => format!(
                "{} (overdue {} of {} {} open)",
                self.who(code),
                money(overdue),
                money(open),
                self.currency
            ),
            None => self.who(code),
        }
    }

    /// `big_exposure: C000042 Dupont SA (…) → scenario key_accounts`.
    pub fn escalation(&self, name: &str, account: &str, switch: Option<&str>) -> String {
        let switch = switch
            .map(|s| format!(" → scenario {s}"))
            .unwrap_or_default();
        format!("{name}: {}{switch}", self.who_owes(account))
    }
}

/// An amount with its currency's decimals and thousands separators:
/// `12,345.60` (EUR), `12,346` (JPY).
pub fn money(amount: Money) -> String {
    let digits = amount.currency.exponent();
    let scale = 10u128.pow(digits);
    let abs = amount.minor.unsigned_abs();
    let units = (abs / scale).to_string();
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount.is_negative() { "-" } else { "" };
    if digits == 0 {
        return format!("{sign}{grouped}");
    }
    let width = digits as usize;
    format!("{sign}{grouped}.{:0width$}", abs % scale)
}

/// What the built-in alerts mean, for the ones the configuration does not
/// label (the engine raises them itself).
const BUILTIN_LABELS: &[(&str, &str)] = &[
    (
        "old_items",
        "Items older than the scenario's max_age, no longer chased",
    ),
    ("missing_contact", "No contact to send the step to"),
    ("missing_assignee", "Nobody to give the task to"),
    (
        "missing_rate",
        "No exchange rate for an item's currency: account skipped",
    ),
    (
        "hook_failed",
        "A hook failed: its condition was taken as false",
    ),
    ("delivery_failed", "A message could not be sent"),
    ("stale_data", "Sends held: the last items import is too old"),
];

/// An alert's label: the configuration's, else what a built-in alert means.
pub fn alert_label(planner: &Planner, alert: &str) -> Option<String> {
    planner
        .config
        .alerts
        .get(alert)
        .and_then(|a| a.label.clone())
        .or_else(|| {
            BUILTIN_LABELS
                .iter()
                .find(|(name, _)| *name == alert)
                .map(|(_, label)| (*label).to_string())
        })
}

/// `broken_promise "Promise of payment not kept"`: an alert's name and label.
pub fn alert_name(planner: &Planner, alert: &str) -> String {
    match alert_label(planner, alert) {
        Some(label) => format!("{alert} \"{label}\""),
        None => alert.to_string(),
    }
}

/// The plan for people: per action who, what and when; the open alerts and
/// the escalations with names and labels.
fn print_human(doc: &PlanJson, plans: &[AccountPlan], planner: &Planner, explain: bool) {
    let names = Names::new(plans, planner);
    let date = doc.date.map(|d| d.to_string()).unwrap_or_default();
    outln!(
        "{date}: {} action{}, {} open alert{}, {} escalation{}",
        doc.actions.len(),
        plural(doc.actions.len()),
        doc.alerts.len(),
        plural(doc.alerts.len()),
        doc.escalations.len(),
        plural(doc.escalations.len()),
    );
    print_actions(doc, &names, explain);
    if !doc.alerts.is_empty() {
        outln!("");
        outln!("open alerts:");
    }
    for a in &doc.alerts {
        outln!(
            "  {} ({}): {}{}",
            alert_name(planner, &a.alert),
            a.level,
            names.who(&a.account),
            a.item
                .as_ref()
                .map(|i| format!(", item {i}"))
                .unwrap_or_default()
        );
        if explain {
            outln!("    why: {}", a.why);
        }
    }
    if !doc.escalations.is_empty() {
        outln!("");
        outln!("escalations:");
    }
    for e in &doc.escalations {
        outln!(
            "  {}",
            names.escalation(&e.escalation, &e.account, e.switch.as_deref())
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

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The actions, two lines each, after a line saying what "late" means when
/// some are.
fn print_actions(doc: &PlanJson, names: &Names<'_>, explain: bool) {
    if doc.actions.iter().any(|a| a.late) {
        outln!(
            "(late: the step's own date, the leader item's due date plus the step's offset, \
             is before the run date, so the step is caught up today; it does not say how \
             overdue the invoice is)"
        );
    }
    for a in &doc.actions {
        outln!("  {}", names.who_owes(&a.account));
        outln!("    {}", action_line(a));
        if explain {
            outln!("    why: {}", a.why);
        }
    }
}

fn action_line(a: &ActionJson) -> String {
    let extra = a.items.len().saturating_sub(1);
    format!(
        "{}/{} [{}] for {}{}, step date {}{}{}{}{}",
        a.scenario,
        a.step,
        a.kinds.join(", "),
        a.leader,
        if extra > 0 {
            format!(" and {extra} more item{}", plural(extra))
        } else {
            String::new()
        },
        a.planned_for,
        if a.late { " (late)" } else { "" },
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
        match (&a.state, a.id) {
            (Some(state), Some(id)) => format!(" — {state} (action {id})"),
            (Some(state), None) => format!(" — {state}"),
            _ => String::new(),
        },
    )
}

/// Runs `relance run`: plans and records the day, then delivers every due
/// action with the same functions as the worker (exit 1 when sends failed
/// or wait for a retry, or when sends are held).
pub fn run(cli: &Global, args: &RunArgs) -> Result<(), Failure> {
    let (planner, templates) = super::compiled(&cli.config)?;
    let planner = Arc::new(planner);
    let when = args.when.when();
    let selection = Selection {
        account: args.account.clone(),
        ..Selection::all(&planner)
    };
    let now = Utc::now();
    let origin = format!("run:{}", now.format("%Y%m%dT%H%M%SZ"));
    let (outcome, report, states, sending) = super::runtime()?.block_on(async {
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
            let states = relance_engine::store::outbox::states(&store, &ids)
                .await
                .map_err(|e| Failure::Other(e.into()))?;
            let sending = relance_engine::store::outbox::sending(&store)
                .await
                .map_err(|e| Failure::Other(e.into()))?;
            Ok::<_, Failure>((outcome, report, states, sending))
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
    let waiting: Vec<i64> = doc
        .actions
        .iter()
        .filter(|a| a.state.as_deref() == Some("waiting_review"))
        .filter_map(|a| a.id)
        .collect();
    let sending: Vec<StillSending> = sending
        .into_iter()
        .map(|s| StillSending::new(s, args.mail.lease))
        .collect();
    if cli.json {
        let mut value = run_document(&doc, &outcome, &waiting)?;
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "still_sending".into(),
                serde_json::to_value(&sending).context("writing JSON")?,
            );
            map.insert(
                "notifications".into(),
                serde_json::json!({
                    "notices": outcome.notices,
                    "digests": outcome.digests,
                    "immediate": outcome.immediate,
                    "sent": report.internal,
                    "retried": report.internal_retried,
                    "failed": report.internal_failed,
                }),
            );
        }
        print_json(&value)?;
    } else {
        print_run(cli, &doc, &outcome, &planner, &waiting);
        if !cli.quiet {
            let delivered = deliver::describe(&report, &args.mail.outbox, args.mailer);
            eprintln!(
                "recorded {} action{}; {} alert{} raised, {} resolved; {} escalation{}; \
                 {} notice{} for colleagues ({} digest{}, {} immediate){}",
                outcome.recorded.len(),
                plural(outcome.recorded.len()),
                outcome.raised,
                plural(outcome.raised),
                outcome.resolved,
                outcome.escalated,
                plural(outcome.escalated),
                outcome.notices,
                plural(outcome.notices),
                outcome.digests,
                plural(outcome.digests),
                outcome.immediate,
                if delivered.is_empty() {
                    String::new()
                } else {
                    format!("; {delivered}")
                }
            );
        }
    }
    if !sending.is_empty() && !cli.quiet {
        eprintln!("{}", describe_sending(&sending));
    }
    if let Some(why) = &report.held {
        eprintln!("error: {why}");
        return Err(Failure::Reported);
    }
    if report.failed > 0
        || report.retried > 0
        || report.refused > 0
        || report.internal_failed > 0
        || report.internal_retried > 0
    {
        eprintln!(
            "error: {} send{} failed, {} to retry{} (see the history of the accounts; `relance worker` retries)",
            report.failed + report.internal_failed,
            if report.failed + report.internal_failed == 1 {
                ""
            } else {
                "s"
            },
            report.retried + report.internal_retried,
            if report.refused > 0 {
                format!(
                    ", {} recipient{} refused",
                    report.refused,
                    plural(report.refused)
                )
            } else {
                String::new()
            }
        );
        return Err(Failure::Reported);
    }
    Ok(())
}

/// An action found `sending` after delivery (`run --json`'s
/// `still_sending`): claimed by a process that is sending it now or died;
/// it is sent again, with its Message-ID, once `lease_ends` is past.
#[derive(Debug, serde::Serialize)]
struct StillSending {
    /// The action.
    id: i64,
    /// Its account.
    account: String,
    /// Its scenario.
    scenario: String,
    /// Its step.
    step: String,
    /// Who claimed it.
    claimed_by: String,
    /// When (RFC 3339 UTC).
    claimed_at: String,
    /// When the claim lapses and the next delivery pass takes it (claimed
    /// at + `--lease`), RFC 3339 UTC; absent when the claim time is unreadable.
    lease_ends: Option<String>,
}

impl StillSending {
    fn new(s: relance_engine::store::outbox::Sending, lease: std::time::Duration) -> Self {
        let lease_ends = chrono::DateTime::parse_from_rfc3339(&s.claimed_at)
            .ok()
            .and_then(|at| Some(at.with_timezone(&Utc) + chrono::TimeDelta::from_std(lease).ok()?))
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        StillSending {
            id: s.id,
            account: s.account,
            scenario: s.scenario,
            step: s.step,
            claimed_by: s.claimed_by,
            claimed_at: s.claimed_at,
            lease_ends,
        }
    }
}

/// Sending actions listed in full at the most.
const SENDING_SHOWN: usize = 10;

/// The lines about actions still `sending`, for stderr.
fn describe_sending(sending: &[StillSending]) -> String {
    let mut text = format!(
        "{} action{} still `sending`: claimed by a run or worker that is sending {} now or died; \
         each is sent again (same Message-ID) by the first delivery after its lease ends:",
        sending.len(),
        plural(sending.len()),
        if sending.len() == 1 { "it" } else { "them" },
    );
    for s in sending.iter().take(SENDING_SHOWN) {
        text.push_str(&format!(
            "\n  action {} ({}, {}/{}), claimed by {} at {}, lease ends {}",
            s.id,
            s.account,
            s.scenario,
            s.step,
            if s.claimed_by.is_empty() {
                "?"
            } else {
                &s.claimed_by
            },
            s.claimed_at,
            s.lease_ends.as_deref().unwrap_or("(unknown)"),
        ));
    }
    if sending.len() > SENDING_SHOWN {
        text.push_str(&format!(
            "\n  … and {} more (`relance run --json` lists them all)",
            sending.len() - SENDING_SHOWN
        ));
    }
    text
}

/// `run --json`: the `plan --json` document of the recorded actions (with
/// `id` and `state`) and the open alerts, plus what changed today
/// (`changes`: alerts, escalations, the ids of the tasks opened and
/// cancelled) and the ids waiting for review (`waiting_review`).
fn run_document(
    doc: &PlanJson,
    outcome: &run::RunOutcome,
    waiting: &[i64],
) -> Result<serde_json::Value, Failure> {
    let mut value = serde_json::to_value(doc).context("writing JSON")?;
    let raised: Vec<_> = outcome
        .raised_alerts
        .iter()
        .map(|a| {
            serde_json::json!({
                "alert": a.alert, "account": a.account,
                "item": item_ref(&a.item), "level": a.level,
            })
        })
        .collect();
    let resolved: Vec<_> = outcome
        .resolved_alerts
        .iter()
        .map(|(alert, account, item)| {
            serde_json::json!({"alert": alert, "account": account, "item": item_ref(item)})
        })
        .collect();
    let fired: Vec<_> = outcome
        .fired
        .iter()
        .map(|e| {
            serde_json::json!({"escalation": e.escalation, "account": e.account, "switch": e.switch})
        })
        .collect();
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "changes".into(),
            serde_json::json!({
                "alerts_raised": raised,
                "alerts_resolved": resolved,
                "escalations_fired": fired,
                "tasks_opened": outcome.tasks_opened,
                "tasks_cancelled": outcome.tasks_cancelled,
            }),
        );
        map.insert("waiting_review".into(), serde_json::json!(waiting));
    }
    Ok(value)
}

/// An alert's item key (`CUSTOMER/REFERENCE`) as its reference, like the
/// `alerts` of the plan document; `None` for account alerts.
fn item_ref(key: &str) -> Option<&str> {
    if key.is_empty() {
        None
    } else {
        Some(key.split_once('/').map_or(key, |(_, r)| r))
    }
}

/// Ids printed in the approve command at the most.
const APPROVE_SHOWN: usize = 30;

/// `relance run` for people: the actions recorded, what changed today
/// (alerts raised and resolved, escalations fired, not every open alert
/// again) and the command that approves what waits for review.
fn print_run(
    cli: &Global,
    doc: &PlanJson,
    outcome: &run::RunOutcome,
    planner: &Planner,
    waiting: &[i64],
) {
    let names = Names::new(&outcome.plans, planner);
    let date = doc.date.map(|d| d.to_string()).unwrap_or_default();
    outln!(
        "{date}: {} action{} recorded",
        doc.actions.len(),
        plural(doc.actions.len())
    );
    print_actions(doc, &names, false);
    outln!("");
    if outcome.raised_alerts.is_empty()
        && outcome.resolved_alerts.is_empty()
        && outcome.fired.is_empty()
    {
        outln!("no alert raised or resolved and no escalation today");
    }
    if !outcome.raised_alerts.is_empty() {
        outln!("alerts raised today ({}):", outcome.raised_alerts.len());
        for a in &outcome.raised_alerts {
            outln!(
                "  {} ({}): {}{}",
                alert_name(planner, &a.alert),
                a.level,
                names.who(&a.account),
                item_ref(&a.item)
                    .map(|i| format!(", item {i}"))
                    .unwrap_or_default()
            );
        }
    }
    if !outcome.resolved_alerts.is_empty() {
        outln!("alerts resolved today ({}):", outcome.resolved_alerts.len());
        for (alert, account, item) in &outcome.resolved_alerts {
            outln!(
                "  {}: {}{}",
                alert_name(planner, alert),
                names.who(account),
                item_ref(item)
                    .map(|i| format!(", item {i}"))
                    .unwrap_or_default()
            );
        }
    }
    if !outcome.fired.is_empty() {
        outln!("escalations today ({}):", outcome.fired.len());
        for e in &outcome.fired {
            outln!(
                "  {}",
                names.escalation(&e.escalation, &e.account, e.switch.as_deref())
            );
        }
    }
    let still_open = doc.alerts.len().saturating_sub(outcome.raised_alerts.len());
    if still_open > 0 {
        outln!(
            "{still_open} alert{} raised earlier still open: `{}` lists them",
            plural(still_open),
            super::command_line(cli, "plan")
        );
    }
    if !outcome.tasks_opened.is_empty() || !outcome.tasks_cancelled.is_empty() {
        outln!("");
        outln!(
            "tasks: {} opened today, {} cancelled (every item paid); `{}` lists the open ones",
            outcome.tasks_opened.len(),
            outcome.tasks_cancelled.len(),
            super::command_line(cli, "tasks --state open")
        );
    }
    if !waiting.is_empty() {
        outln!("");
        outln!(
            "{} action{} waiting for review; to send {}:",
            waiting.len(),
            plural(waiting.len()),
            if waiting.len() == 1 { "it" } else { "them" }
        );
        outln!("  {}", approve_command(cli, waiting));
        if waiting.len() > APPROVE_SHOWN {
            outln!(
                "  (the first {APPROVE_SHOWN}; `{}` lists every id under waiting_review)",
                super::command_line(cli, "run --json")
            );
        }
    }
}

/// `relance approve 12 15 18` (the first ids), with `--config`/`--db` when
/// they are not the defaults.
pub fn approve_command(cli: &Global, ids: &[i64]) -> String {
    let ids: Vec<String> = ids.iter().take(APPROVE_SHOWN).map(i64::to_string).collect();
    super::command_line(cli, &format!("approve {}", ids.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::{BUILTIN_LABELS, money};

    #[test]
    fn every_built_in_alert_says_what_it_means() {
        for (name, ..) in relance_dsl::model::BUILTIN_ALERTS {
            assert!(
                BUILTIN_LABELS.iter().any(|(n, _)| n == name),
                "{name} has no label for people"
            );
        }
    }

    #[test]
    fn money_has_two_decimals_and_thousands_separators() {
        use relance_engine::money::{Currency, Money};
        let eur = |minor: i64| money(Money::new(minor, Currency::new("EUR").expect("EUR")));
        assert_eq!(eur(0), "0.00");
        assert_eq!(eur(18_990), "189.90");
        assert_eq!(eur(123_456_789), "1,234,567.89");
        assert_eq!(eur(100_000), "1,000.00");
        assert_eq!(eur(-550), "-5.50");
        assert_eq!(eur(-1), "-0.01");
        assert_eq!(
            money(Money::new(12_346, Currency::new("JPY").expect("JPY"))),
            "12,346"
        );
    }
}
