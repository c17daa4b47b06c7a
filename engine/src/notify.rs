//! Who among the colleagues hears of what a run did
//! (docs/reference/planning.md "Notifications"): the notices of one page of
//! accounts, recorded in the page's transaction by [`crate::run::run`].
//!
//! - a task opened now: its assignee;
//! - an action recorded `waiting_review`: the account's collectors, else
//!   its managers (its owners, [`owners`]);
//! - an alert raised or resolved now: its definition's `notify`, resolved
//!   against the account; a built-in alert without `notify`, the owners;
//! - an escalation fired now: its `notify`;
//! - a `notify` step recorded now (not waiting for review): its recipients.
//!
//! An alert raised at or above `notify_immediately` goes out at once in a
//! message of its own; everything else waits for the colleague's digest.

use std::collections::HashMap;

use chrono::NaiveDate;
use relance_dsl::model::{Action, Config, Level, Recipient};
use relance_templates::internal::Entry;

use crate::planner::{Account, AccountPlan, Planner};
use crate::run::Recorded;
use crate::store::alerts::RaisedAlert;
use crate::store::escalations::FiredEscalation;
use crate::store::notices::NewNotice;
use crate::store::tasks::NewTask;

/// What one page of a run changed, as the notices need it.
#[derive(Debug, Clone, Copy)]
pub struct PageChanges<'a> {
    /// Actions recorded now.
    pub recorded: &'a [Recorded],
    /// Tasks opened now, with their ids.
    pub tasks: &'a [(i64, NewTask)],
    /// Alerts raised now.
    pub raised: &'a [RaisedAlert],
    /// Alerts resolved now: `(alert, account, item or "")`.
    pub resolved: &'a [(String, String, String)],
    /// Escalations fired now.
    pub fired: &'a [FiredEscalation],
}

/// The account's owners, who review its actions and hear of built-in
/// alerts nobody is named for: its collectors, else its managers.
pub fn owners(account: &Account) -> Vec<String> {
    for role in ["collector", "manager"] {
        let found: Vec<String> = account
            .colleagues
            .iter()
            .filter(|c| c.role == role)
            .map(|c| c.email.clone())
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// The notices of one page: `accounts` and their `plans` in the same order.
pub fn notices(
    planner: &Planner,
    accounts: &[Account],
    plans: &[AccountPlan],
    changes: PageChanges<'_>,
) -> Vec<NewNotice> {
    let config = &planner.config;
    let by_code: HashMap<&str, (&Account, NaiveDate)> = accounts
        .iter()
        .zip(plans)
        .map(|(a, p)| (a.code.as_str(), (a, p.date)))
        .collect();
    let mut out = Notices {
        config,
        list: Vec::new(),
    };

    for (id, task) in changes.tasks {
        let (Some(assignee), Some(&(account, _))) =
            (&task.assignee, by_code.get(task.account.as_str()))
        else {
            continue;
        };
        let colleague = account
            .colleagues
            .iter()
            .find(|c| &c.email == assignee)
            .map(|c| c.name.clone());
        let name = account.leader().map(|c| c.facts.name.clone());
        let link = config.settings.account_link(&task.account);
        out.list
            .push(task_notice(*id, task, assignee, link, name, colleague));
    }

    for r in changes.recorded {
        let Some(&(account, date)) = by_code.get(r.action.account.as_str()) else {
            continue;
        };
        let items: Vec<String> = r.action.items.iter().map(|k| k.reference.clone()).collect();
        let title = format!("{} / {}", r.action.scenario, r.action.step);
        if r.state == "waiting_review" {
            let entry = Entry {
                title: title.clone(),
                detail: Some(r.action.kinds.join(", ")),
                items: items.clone(),
                date: date.to_string(),
                ..out.entry("review", account)
            };
            out.push(account, &owners(account), entry, r.id.to_string(), None);
            continue;
        }
        let step = config
            .scenarios
            .get(&r.action.scenario)
            .and_then(|s| s.steps.iter().find(|s| s.name == r.action.step));
        for action in step.iter().flat_map(|s| s.actions.iter()) {
            let Action::Notify { to, template } = action else {
                continue;
            };
            let entry = Entry {
                title: title.clone(),
                detail: template.clone(),
                items: items.clone(),
                date: date.to_string(),
                ..out.entry("notify", account)
            };
            let to = resolve(planner, account, to);
            out.push(account, &to, entry, r.id.to_string(), None);
        }
    }

    for a in changes.raised {
        let Some(&(account, date)) = by_code.get(a.account.as_str()) else {
            continue;
        };
        out.raised(planner, account, a, date);
    }

    for (alert, code, item) in changes.resolved {
        let Some(&(account, date)) = by_code.get(code.as_str()) else {
            continue;
        };
        let def = config.alerts.get(alert);
        let to = alert_recipients(planner, account, def);
        let level = def.map(|d| d.level.as_str().to_string());
        let entry = Entry {
            title: alert_title(config, alert),
            level: level.clone(),
            items: references(std::slice::from_ref(item)),
            date: date.to_string(),
            ..out.entry("alert_resolved", account)
        };
        let subject = format!("{alert}|{code}|{item}|{date}");
        out.push_level(account, &to, entry, subject, level.as_deref(), false);
    }

    for e in changes.fired {
        let Some(&(account, date)) = by_code.get(e.account.as_str()) else {
            continue;
        };
        let Some(def) = config.escalations.get(&e.escalation) else {
            continue;
        };
        let entry = Entry {
            title: def.label.clone().unwrap_or_else(|| def.name.clone()),
            detail: e.switch.clone(),
            date: date.to_string(),
            ..out.entry("escalation", account)
        };
        let to = resolve(planner, account, &def.notify);
        let subject = format!("{}|{}|{date}", e.escalation, e.account);
        out.push(account, &to, entry, subject, None);
    }
    out.list
}

/// The notice of a task opened now, for its assignee: from a run, or when
/// a person approves a review action (then the names come from the store).
pub fn task_notice(
    id: i64,
    task: &NewTask,
    assignee: &str,
    link: String,
    customer_name: Option<String>,
    colleague_name: Option<String>,
) -> NewNotice {
    let entry = Entry {
        kind: "task".into(),
        account: task.account.clone(),
        name: customer_name.unwrap_or_default(),
        link,
        title: task.kind.clone(),
        detail: task.note.clone(),
        items: references(&task.items),
        date: task.due_on.clone(),
        colleague_name: colleague_name.filter(|n| !n.is_empty()),
        ..Entry::default()
    };
    NewNotice {
        colleague: assignee.to_string(),
        account: task.account.clone(),
        kind: entry.kind.clone(),
        subject: id.to_string(),
        level: None,
        entry: serde_json::to_string(&entry).unwrap_or_else(|_| "{}".into()),
        immediate: false,
        created_on: task.due_on.clone(),
    }
}

/// The notices of an alert raised on `account` on `date` outside a run
/// (`delivery_failed`, raised by delivery), as a run would record them.
pub fn raised_alert(
    planner: &Planner,
    account: &Account,
    alert: &RaisedAlert,
    date: NaiveDate,
) -> Vec<NewNotice> {
    let mut out = Notices {
        config: &planner.config,
        list: Vec::new(),
    };
    out.raised(planner, account, alert, date);
    out.list
}

/// The references of `CUSTOMER/REFERENCE` keys (`""`: none).
fn references(keys: &[String]) -> Vec<String> {
    keys.iter()
        .filter(|k| !k.is_empty())
        .map(|k| k.split_once('/').map_or(k.as_str(), |(_, r)| r).to_string())
        .collect()
}

fn parse_level(level: &str) -> Option<Level> {
    match level {
        "high" => Some(Level::High),
        "medium" => Some(Level::Medium),
        "low" => Some(Level::Low),
        _ => None,
    }
}

fn alert_title(config: &Config, alert: &str) -> String {
    config
        .alerts
        .get(alert)
        .and_then(|d| d.label.clone())
        .unwrap_or_else(|| alert.to_string())
}

/// Who hears of an alert: its `notify`; a built-in alert (or one the
/// configuration no longer declares) without `notify`, the owners.
fn alert_recipients(
    planner: &Planner,
    account: &Account,
    def: Option<&relance_dsl::model::AlertDef>,
) -> Vec<String> {
    match def {
        Some(d) if !d.notify.is_empty() => resolve(planner, account, &d.notify),
        Some(d) if !d.builtin => Vec::new(),
        _ => owners(account),
    }
}

/// Addresses of recipients, each once, in order.
fn resolve(planner: &Planner, account: &Account, to: &[Recipient]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in to {
        for a in planner.resolve(account, r) {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
}

/// The notices being built.
struct Notices<'a> {
    /// The configuration: links and the immediate level.
    config: &'a Config,
    /// Built so far.
    list: Vec<NewNotice>,
}

impl Notices<'_> {
    /// The notices of an alert raised now: immediate at or above
    /// `notify_immediately`.
    fn raised(&mut self, planner: &Planner, account: &Account, a: &RaisedAlert, date: NaiveDate) {
        let config = self.config;
        let def = config.alerts.get(&a.alert);
        let to = alert_recipients(planner, account, def);
        let level = parse_level(&a.level);
        let immediate = level.is_some_and(|l| config.settings.immediate(l));
        let entry = Entry {
            title: alert_title(config, &a.alert),
            detail: Some(a.detail.clone()).filter(|d| !d.is_empty()),
            level: Some(a.level.clone()),
            items: references(std::slice::from_ref(&a.item)),
            date: date.to_string(),
            ..self.entry("alert_raised", account)
        };
        let subject = format!("{}|{}|{}|{date}", a.alert, a.account, a.item);
        self.push_level(account, &to, entry, subject, Some(&a.level), immediate);
    }

    /// An entry of `kind` about `account`, its link and name filled.
    fn entry(&self, kind: &str, account: &Account) -> Entry {
        Entry {
            kind: kind.to_string(),
            account: account.code.to_string(),
            name: account
                .leader()
                .map(|c| c.facts.name.clone())
                .unwrap_or_default(),
            link: self.config.settings.account_link(account.code.as_str()),
            ..Entry::default()
        }
    }

    fn push(
        &mut self,
        account: &Account,
        to: &[String],
        entry: Entry,
        subject: String,
        level: Option<&str>,
    ) {
        self.push_level(account, to, entry, subject, level, false);
    }

    fn push_level(
        &mut self,
        account: &Account,
        to: &[String],
        entry: Entry,
        subject: String,
        level: Option<&str>,
        immediate: bool,
    ) {
        for colleague in to {
            let name = account
                .colleagues
                .iter()
                .find(|c| &c.email == colleague)
                .map(|c| c.name.clone())
                .filter(|n| !n.is_empty());
            let entry = Entry {
                colleague_name: name,
                ..entry.clone()
            };
            self.list.push(NewNotice {
                colleague: colleague.clone(),
                account: account.code.to_string(),
                kind: entry.kind.clone(),
                subject: subject.clone(),
                level: level.map(str::to_string),
                entry: serde_json::to_string(&entry).unwrap_or_else(|_| "{}".into()),
                immediate,
                created_on: entry.date.clone(),
            });
        }
    }
}
