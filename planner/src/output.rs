//! The JSON of `plan --json` and `run --json` (docs/reference/cli.md, "stable contract").

use chrono::NaiveDate;
use serde::Serialize;

use super::{AccountPlan, PlannedAction, PlannedAlert, PlannedEscalation};
use crate::facts::AccountCode;

/// One action as printed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActionJson {
    /// Its id, once recorded (`run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
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
    /// The step's trigger date for the leader.
    pub planned_for: NaiveDate,
    /// A catch-up.
    pub late: bool,
    /// The leader's reference.
    pub leader: String,
    /// Covered references, sorted.
    pub items: Vec<String>,
    /// Main recipients, sorted.
    pub to: Vec<String>,
    /// Copies, sorted.
    pub cc: Vec<String>,
    /// `auto` or `review`.
    pub mode: &'static str,
    /// Its state, once recorded (`run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Why.
    pub why: String,
}

impl ActionJson {
    /// From a planned action.
    pub fn new(a: &PlannedAction) -> ActionJson {
        let mut items: Vec<String> = a.items.iter().map(|k| k.reference.clone()).collect();
        items.sort();
        ActionJson {
            id: None,
            account: a.account.clone(),
            scenario: a.scenario.clone(),
            step: a.step.clone(),
            kinds: a.kinds.clone(),
            template: a.template.clone(),
            planned_for: a.planned_for,
            late: a.late,
            leader: a.leader.reference.clone(),
            items,
            to: a.to.clone(),
            cc: a.cc.clone(),
            mode: a.mode.as_str(),
            state: None,
            why: a.why.clone(),
        }
    }
}

/// One open alert as printed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertJson {
    /// The alert's name.
    pub alert: String,
    /// The account.
    pub account: AccountCode,
    /// The item's reference, `null` for account alerts.
    pub item: Option<String>,
    /// `low`, `medium`, `high`.
    pub level: &'static str,
    /// Why.
    pub why: String,
}

impl AlertJson {
    /// From a planned alert.
    pub fn new(a: &PlannedAlert) -> AlertJson {
        AlertJson {
            alert: a.alert.clone(),
            account: a.account.clone(),
            item: a.item.as_ref().map(|k| k.reference.clone()),
            level: a.level.as_str(),
            why: a.why.clone(),
        }
    }
}

/// One escalation as printed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EscalationJson {
    /// The escalation's name.
    pub escalation: String,
    /// The account.
    pub account: AccountCode,
    /// The scenario it switches to.
    pub switch: Option<String>,
    /// Why.
    pub why: String,
}

impl EscalationJson {
    /// From a planned escalation.
    pub fn new(e: &PlannedEscalation) -> EscalationJson {
        EscalationJson {
            escalation: e.escalation.clone(),
            account: e.account.clone(),
            switch: e.switch.clone(),
            why: e.why.clone(),
        }
    }
}

/// The whole document.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct PlanJson {
    /// The run date.
    pub date: Option<NaiveDate>,
    /// Actions by account.
    pub actions: Vec<ActionJson>,
    /// Alerts by name, account, item.
    pub alerts: Vec<AlertJson>,
    /// Escalations by account.
    pub escalations: Vec<EscalationJson>,
}

impl PlanJson {
    /// Adds an account's plan.
    pub fn push(&mut self, plan: &AccountPlan) {
        if let Some(a) = &plan.action {
            self.actions.push(ActionJson::new(a));
        }
        self.alerts.extend(plan.alerts.iter().map(AlertJson::new));
        self.escalations
            .extend(plan.escalations.iter().map(EscalationJson::new));
    }

    /// Sorts as docs/reference/cli.md says: actions and escalations by account; alerts by
    /// name, account, item (`null` first).
    pub fn sort(&mut self) {
        self.actions.sort_by(|a, b| a.account.cmp(&b.account));
        self.escalations
            .sort_by(|a, b| (&a.account, &a.escalation).cmp(&(&b.account, &b.escalation)));
        self.alerts
            .sort_by(|a, b| (&a.alert, &a.account, &a.item).cmp(&(&b.alert, &b.account, &b.item)));
    }
}
