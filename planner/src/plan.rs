//! What a day brings for one account: the planned action, alerts and
//! escalations ([`AccountPlan`]), with the trace `--explain` prints.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use relance_dsl::model::{Level, Mode};

use crate::Money;
use crate::account::Account;
use crate::facts::{AccountCode, ItemKey};

/// A planned action.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedAction {
    /// The account.
    pub account: AccountCode,
    /// The scenario.
    pub scenario: String,
    /// The step.
    pub step: String,
    /// The step's actions in file order.
    pub kinds: Vec<&'static str>,
    /// The first email's or letter's template.
    pub template: Option<String>,
    /// S's trigger date for the leader.
    pub planned_for: NaiveDate,
    /// Whether `planned_for` is before D.
    pub late: bool,
    /// The leader item.
    pub leader: ItemKey,
    /// Covered items, sorted.
    pub items: Vec<ItemKey>,
    /// Main recipients, sorted.
    pub to: Vec<String>,
    /// Copies, sorted.
    pub cc: Vec<String>,
    /// Auto or review.
    pub mode: Mode,
    /// The scenario an `escalate` action switches to, from the next day.
    pub escalate: Option<String>,
    /// The step's tasks, in file order, their assignees resolved.
    pub tasks: Vec<PlannedTask>,
    /// Why this action.
    pub why: String,
}

/// A `task` of a step: a to-do for a colleague.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlannedTask {
    /// `call`, `visit`, `check` or any word.
    pub kind: String,
    /// The colleague's address; `None` when the recipient resolves to nobody
    /// (the account then raises `missing_assignee`).
    pub assignee: Option<String>,
    /// The step's note.
    pub note: Option<String>,
}

/// An alert open on D.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedAlert {
    /// Alert name.
    pub alert: String,
    /// The account.
    pub account: AccountCode,
    /// The item, for item alerts.
    pub item: Option<ItemKey>,
    /// Level.
    pub level: Level,
    /// Why it holds.
    pub why: String,
}

impl PlannedAlert {
    /// The store's item key: `CUSTOMER/REFERENCE` or `""`.
    pub fn item_key(&self) -> String {
        self.item
            .as_ref()
            .map(ItemKey::to_string)
            .unwrap_or_default()
    }
}

/// An escalation that fires on D.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedEscalation {
    /// Escalation name.
    pub escalation: String,
    /// The account.
    pub account: AccountCode,
    /// The scenario it switches to, if it switches and the switch applies.
    pub switch: Option<String>,
    /// Why.
    pub why: String,
}

/// Alerts the worker raises and resolves, never a run: a plan does not
/// evaluate them, so it must not resolve them.
pub const WORKER_ALERTS: &[&str] = &["delivery_failed", "stale_data"];

/// What D brings for one account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountPlan {
    /// The account.
    pub account: AccountCode,
    /// The leader customer's name, so people reading a plan see who it is.
    pub name: String,
    /// The account's overdue and open debit amounts on D in the settings'
    /// currency, for people reading a plan (`None` when a rate is missing).
    pub amounts: Option<(Money, Money)>,
    /// D for this account.
    pub date: NaiveDate,
    /// The scenario the steps were chosen in (`None` when the account was skipped).
    pub scenario: Option<String>,
    /// The action of the day, if any.
    pub action: Option<PlannedAction>,
    /// Alerts open on D.
    pub alerts: Vec<PlannedAlert>,
    /// Escalations firing on D.
    pub escalations: Vec<PlannedEscalation>,
    /// Escalations whose condition holds on D (fired today or before).
    pub holding_escalations: BTreeSet<String>,
    /// A switch that takes effect on D (an escalation's).
    pub switch_today: Option<String>,
    /// What was considered, for `--explain` (kept only when asked for).
    pub trace: Vec<String>,
    /// Whether to keep the trace.
    pub tracing: bool,
}

impl AccountPlan {
    /// What the plan changes to the account's alerts: the alerts that start
    /// holding, and the open ones `(alert, item key)` that stop. A skipped
    /// account (missing rate) keeps its other alerts open: they could not be
    /// evaluated. `run` records these; `simulate` replays them.
    pub fn alert_changes(&self, account: &Account) -> (Vec<&PlannedAlert>, Vec<(String, String)>) {
        let holding: BTreeSet<(String, String)> = self
            .alerts
            .iter()
            .map(|a| (a.alert.clone(), a.item_key()))
            .collect();
        let raised = self
            .alerts
            .iter()
            .filter(|a| {
                !account
                    .open_alerts
                    .contains(&(a.alert.clone(), a.item_key()))
            })
            .collect();
        let skipped = self.scenario.is_none();
        let resolved = account
            .open_alerts
            .iter()
            .filter(|(alert, _)| !skipped || alert == "missing_rate")
            .filter(|(alert, _)| !WORKER_ALERTS.contains(&alert.as_str()))
            .filter(|key| !holding.contains(*key))
            .cloned()
            .collect();
        (raised, resolved)
    }

    /// Adds a line to the trace, when it is kept.
    pub(crate) fn note(&mut self, line: impl FnOnce() -> String) {
        if self.tracing {
            self.trace.push(line());
        }
    }
}
