//! [`Planner::plan_account`]: missing rates, the scenario, escalations,
//! alerts, then the step of the day (docs/reference/planning.md), with a `why` per decision.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use relance_dsl::model::Level;
use relance_rules::{Compiled, HookError, Hooks};

use crate::Planner;
use crate::account::{Account, AccountFigures, Evaluation, Item};
use crate::calendar::BusinessCalendar;
use crate::plan::{AccountPlan, PlannedAlert, PlannedEscalation};

impl Planner {
    /// Plans one account on `date`.
    pub fn plan_account(&self, account: &Account, date: NaiveDate) -> AccountPlan {
        self.plan_account_traced(account, date, false)
    }

    /// Plans one account on `date`, keeping the trace of every decision when
    /// `tracing` (for `--explain`).
    pub fn plan_account_traced(
        &self,
        account: &Account,
        date: NaiveDate,
        tracing: bool,
    ) -> AccountPlan {
        let mut plan = AccountPlan {
            account: account.code.clone(),
            name: account
                .customers
                .first()
                .map(|c| c.facts.name.clone())
                .unwrap_or_default(),
            amounts: None,
            date,
            scenario: None,
            action: None,
            alerts: Vec::new(),
            escalations: Vec::new(),
            holding_escalations: BTreeSet::new(),
            switch_today: None,
            trace: Vec::new(),
            tracing,
        };
        let account_alert = |name: &str, why: String| PlannedAlert {
            alert: name.to_string(),
            account: account.code.clone(),
            item: None,
            level: self.level_of(name),
            why,
        };

        // Every amount must convert, or the account is skipped.
        let missing: BTreeSet<&str> = account
            .items
            .iter()
            .filter(|i| self.rate(&i.currency).is_none())
            .map(|i| i.currency.as_str())
            .collect();
        if !missing.is_empty() {
            let list: Vec<&str> = missing.into_iter().collect();
            let why = format!(
                "no rate from {} to {}: the account is skipped",
                list.join(", "),
                self.config.settings.currency
            );
            plan.note(|| why.clone());
            plan.alerts.push(account_alert("missing_rate", why));
            return plan;
        }
        let summary = self.figures(account, date);
        plan.amounts = Some((summary.overdue_amount, summary.total_due));
        let mut failures: Vec<HookError> = Vec::new();

        // The scenario, then escalations, which may switch it today.
        let (mut scenario, explicit) = self.scenario_of(account, &summary, date, &mut failures);
        plan.note(|| format!("scenario {scenario}"));
        for esc in &self.escalations {
            let ctx = self.ctx(account, &summary, None, &scenario, date);
            let holds = test(&esc.when, &ctx, &self.hooks, &mut failures);
            if !holds {
                continue;
            }
            plan.holding_escalations.insert(esc.name.clone());
            if account.escalations.contains(&esc.name) {
                plan.note(|| format!("escalation {} still holds; it fired before", esc.name));
                continue;
            }
            let switch = esc.switch.as_ref().filter(|s| **s != scenario);
            if switch.is_none() && esc.switch.is_some() && !esc.notifies {
                plan.note(|| {
                    format!(
                        "escalation {} holds but the account is already in {scenario}",
                        esc.name
                    )
                });
                continue;
            }
            let mut why = format!("`{}` holds", esc.when.source);
            match switch {
                Some(s) if explicit => {
                    why.push_str(&format!(
                        "; the customer's own scenario {scenario} stays (it names one)"
                    ));
                    let _ = s;
                }
                Some(s) => {
                    why.push_str(&format!("; {scenario} → {s} from today"));
                    scenario = s.clone();
                    plan.switch_today = Some(s.clone());
                }
                None => {}
            }
            plan.note(|| format!("escalation {}: {why}", esc.name));
            plan.escalations.push(PlannedEscalation {
                escalation: esc.name.clone(),
                account: account.code.clone(),
                switch: esc.switch.clone(),
                why,
            });
        }
        plan.scenario = Some(scenario.clone());

        // Declared alerts.
        for alert in &self.alerts {
            if alert.item {
                for item in account
                    .items
                    .iter()
                    .filter(|i| i.kind.is_debit() && i.remaining > 0)
                {
                    let ctx = self.ctx(account, &summary, Some(item), &scenario, date);
                    if test(&alert.when, &ctx, &self.hooks, &mut failures) {
                        plan.alerts.push(PlannedAlert {
                            alert: alert.name.clone(),
                            account: account.code.clone(),
                            item: Some(item.key()),
                            level: alert.level,
                            why: format!("`{}` holds for {}", alert.when.source, item.reference),
                        });
                    }
                }
            } else {
                let ctx = self.ctx(account, &summary, None, &scenario, date);
                if test(&alert.when, &ctx, &self.hooks, &mut failures) {
                    plan.alerts.push(PlannedAlert {
                        alert: alert.name.clone(),
                        account: account.code.clone(),
                        item: None,
                        level: alert.level,
                        why: format!("`{}` holds", alert.when.source),
                    });
                }
            }
        }

        // Steps.
        self.choose_step(account, &summary, &scenario, date, &mut plan, &mut failures);

        if !failures.is_empty() {
            let reasons: Vec<String> = failures.iter().map(ToString::to_string).collect();
            let why = reasons.join("; ");
            plan.note(|| why.clone());
            plan.alerts.push(account_alert("hook_failed", why));
        }
        plan.alerts
            .sort_by(|a, b| (&a.alert, &a.item).cmp(&(&b.alert, &b.item)));
        plan.alerts
            .dedup_by(|a, b| a.alert == b.alert && a.item == b.item);
        plan
    }

    pub(crate) fn level_of(&self, alert: &str) -> Level {
        self.config
            .alerts
            .get(alert)
            .map_or(Level::High, |a| a.level)
    }

    pub(crate) fn ctx<'a>(
        &'a self,
        account: &'a Account,
        summary: &'a AccountFigures,
        item: Option<&'a Item>,
        scenario: &'a str,
        today: NaiveDate,
    ) -> Evaluation<'a> {
        Evaluation {
            account,
            summary,
            item,
            scenario,
            today,
            settings: &self.config.settings,
            fields: &self.config.fields,
        }
    }

    /// The scenario before escalation rules, and whether the customer names it.
    pub(crate) fn scenario_of(
        &self,
        account: &Account,
        summary: &AccountFigures,
        date: NaiveDate,
        failures: &mut Vec<HookError>,
    ) -> (String, bool) {
        let (scenario, reason) = self.scenario_and_reason(account, summary, date, failures);
        (scenario, reason == ScenarioReason::Named)
    }

    /// The scenario an account is in on `date` before today's escalations,
    /// and why (the workspace's Account page says it in words); `None`
    /// when the account is skipped (a currency has no rate).
    pub fn scenario_reason(
        &self,
        account: &Account,
        date: NaiveDate,
    ) -> Option<(String, ScenarioReason)> {
        if account
            .items
            .iter()
            .any(|i| self.rate(&i.currency).is_none())
        {
            return None;
        }
        let summary = self.figures(account, date);
        Some(self.scenario_and_reason(account, &summary, date, &mut Vec::new()))
    }

    fn scenario_and_reason(
        &self,
        account: &Account,
        summary: &AccountFigures,
        date: NaiveDate,
        failures: &mut Vec<HookError>,
    ) -> (String, ScenarioReason) {
        let known = |s: &&String| self.config.scenarios.contains_key(*s);
        if let Some(s) = account
            .leader()
            .and_then(|c| c.facts.scenario.as_ref())
            .filter(known)
        {
            return (s.clone(), ScenarioReason::Named);
        }
        if let Some((on, s)) = account
            .switches
            .iter()
            .rev()
            .find(|(on, s)| *on <= date && self.config.scenarios.contains_key(s))
        {
            return (s.clone(), ScenarioReason::Switched(*on));
        }
        let default = self
            .config
            .settings
            .default_scenario
            .clone()
            .unwrap_or_default();
        for (scenario, when) in &self.assigns {
            let ctx = self.ctx(account, summary, None, &default, date);
            if test(when, &ctx, &self.hooks, failures) {
                return (scenario.clone(), ScenarioReason::Rule(when.source.clone()));
            }
        }
        (default, ScenarioReason::Default)
    }
}

/// Why an account is in its scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioReason {
    /// The customer names it (its `scenario` column).
    Named,
    /// An escalation switched the account to it on this date.
    Switched(NaiveDate),
    /// The first `assign` rule that holds, as written.
    Rule(String),
    /// No rule holds: the settings' default scenario.
    Default,
}

/// A chased item's trigger date for a step.
pub(crate) fn trigger(cal: &BusinessCalendar, due: NaiveDate, offset: i64) -> NaiveDate {
    due.checked_add_signed(chrono::TimeDelta::days(offset))
        .map_or(due, |d| cal.on_or_after(d))
}

pub(crate) fn test(
    when: &Compiled,
    ctx: &Evaluation<'_>,
    hooks: &Hooks,
    failures: &mut Vec<HookError>,
) -> bool {
    match when.test(ctx, hooks) {
        Ok(b) => b,
        Err(e) => {
            failures.push(e);
            false
        }
    }
}
