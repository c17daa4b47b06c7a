//! Which step an account reaches and which items it covers; what a
//! status holds back (suspends, excludes), for planning and for delivery.

use chrono::NaiveDate;
use relance_dsl::model::{Action, StatusEffect};
use relance_rules::HookError;

use crate::Planner;
use crate::account::{Account, AccountFigures, Item};
use crate::decide::{test, trigger};
use crate::facts::ItemKey;
use crate::plan::{AccountPlan, PlannedAction, PlannedAlert};

impl Planner {
    #[allow(clippy::too_many_lines)]
    pub(crate) fn choose_step(
        &self,
        account: &Account,
        summary: &AccountFigures,
        scenario_name: &str,
        date: NaiveDate,
        plan: &mut AccountPlan,
        failures: &mut Vec<HookError>,
    ) {
        let Some(scenario) = self.config.scenarios.get(scenario_name) else {
            plan.trace
                .push(format!("no scenario {scenario_name:?}: no step"));
            return;
        };
        let compiled = &self.steps[scenario_name];
        let cal = self.calendar(scenario);

        // Chased items.
        let mut chased: Vec<&Item> = Vec::new();
        let mut old: Vec<&Item> = Vec::new();
        for item in &account.items {
            if !item.kind.is_debit() || item.remaining <= 0 {
                continue;
            }
            if let Some(why) =
                self.status_hold(account, summary, item, scenario_name, date, failures)
            {
                plan.note(|| why);
                continue;
            }
            if let Some(max_age) = scenario.max_age_days
                && (date - item.due_date).num_days() > max_age
            {
                old.push(item);
                continue;
            }
            chased.push(item);
        }
        if !old.is_empty() {
            let refs: Vec<&str> = old.iter().map(|i| i.reference.as_str()).collect();
            let why = format!(
                "older than {} days (max_age of {scenario_name}): {}",
                scenario.max_age_days.unwrap_or(0),
                refs.join(", ")
            );
            plan.note(|| why.clone());
            plan.alerts.push(PlannedAlert {
                alert: "old_items".into(),
                account: account.code.clone(),
                item: None,
                level: self.level_of("old_items"),
                why,
            });
        }

        // The leader: earliest due date, then smallest reference.
        let Some(leader) = chased
            .iter()
            .min_by(|a, b| {
                (a.due_date, a.reference.as_bytes()).cmp(&(b.due_date, b.reference.as_bytes()))
            })
            .copied()
        else {
            plan.note(|| "no chased item: no step".into());
            return;
        };
        let mut why = vec![format!(
            "leader {} due {} ({} chased item{})",
            leader.reference,
            leader.due_date,
            chased.len(),
            if chased.len() == 1 { "" } else { "s" }
        )];

        // The reached step: highest offset whose trigger date has come and whose `when` holds.
        let mut reached = None;
        for (index, step) in scenario.steps.iter().enumerate().rev() {
            let at = trigger(cal, leader.due_date, step.offset_days);
            if at > date {
                continue;
            }
            match &compiled[index].when {
                Some(when) => {
                    let ctx = self.ctx(account, summary, Some(leader), scenario_name, date);
                    if test(when, &ctx, &self.hooks, failures) {
                        why.push(format!("{} due {at}: `{}` holds", step.name, when.source));
                        reached = Some((index, at));
                        break;
                    }
                    why.push(format!(
                        "{} due {at} skipped: `{}` does not hold",
                        step.name, when.source
                    ));
                }
                None => {
                    why.push(format!("{} due {at}", step.name));
                    reached = Some((index, at));
                    break;
                }
            }
        }
        let Some((index, planned_for)) = reached else {
            let first = scenario
                .steps
                .first()
                .map(|s| {
                    format!(
                        "; first step {} on {}",
                        s.name,
                        trigger(cal, leader.due_date, s.offset_days)
                    )
                })
                .unwrap_or_default();
            why.push(format!("no step reached yet{first}"));
            plan.note(|| why.join("; "));
            return;
        };
        let step = &scenario.steps[index];
        let position = |name: &str| scenario.steps.iter().position(|s| s.name == name);
        if let Some(done) = leader.last_step(scenario_name).and_then(position)
            && done >= index
        {
            why.push(format!(
                "already done: the leader's last step is {}",
                scenario.steps[done].name
            ));
            plan.note(|| why.join("; "));
            return;
        }
        if let Some((last, last_step)) = &account.last_action {
            let gap = (date - *last).num_days();
            if gap == 0 {
                why.push(format!(
                    "an action ({last_step}) was already recorded today"
                ));
                plan.note(|| why.join("; "));
                return;
            }
            if gap < scenario.min_gap_days {
                why.push(format!(
                    "postponed: last action {last} is {gap} day(s) ago, min_gap is {}",
                    scenario.min_gap_days
                ));
                plan.note(|| why.join("; "));
                return;
            }
        }

        // Recipients.
        let has_email = step
            .actions
            .iter()
            .any(|a| matches!(a, Action::Email { .. }));
        let (to, cc) = self.recipients(account, step);
        if has_email && to.is_empty() {
            let why = format!(
                "step {} of {scenario_name} emails nobody: the account has no recipient for it",
                step.name
            );
            plan.note(|| why.clone());
            plan.alerts.push(PlannedAlert {
                alert: "missing_contact".into(),
                account: account.code.clone(),
                item: None,
                level: self.level_of("missing_contact"),
                why,
            });
            return;
        }

        // Covered items.
        let mut items: Vec<ItemKey> = chased
            .iter()
            .filter(|i| trigger(cal, i.due_date, step.offset_days) <= date)
            .map(|i| i.key())
            .collect();
        items.sort();
        let late = planned_for < date;
        if late {
            why.push(format!("late: due {planned_for}, caught up on {date}"));
        }
        let template = step.actions.iter().find_map(|a| match a {
            Action::Email { template, .. } | Action::Letter { template } => Some(template.clone()),
            _ => None,
        });
        let escalate = step.actions.iter().find_map(|a| match a {
            Action::Escalate { scenario } => Some(scenario.clone()),
            _ => None,
        });
        let tasks = self.tasks(account, step);
        if tasks.iter().any(|t| t.assignee.is_none()) {
            let kinds: Vec<&str> = tasks
                .iter()
                .filter(|t| t.assignee.is_none())
                .map(|t| t.kind.as_str())
                .collect();
            plan.alerts.push(PlannedAlert {
                alert: "missing_assignee".into(),
                account: account.code.clone(),
                item: None,
                level: self.level_of("missing_assignee"),
                why: format!(
                    "step {} of {scenario_name} has a task ({}) for nobody: the account has no colleague for it",
                    step.name,
                    kinds.join(", ")
                ),
            });
        }
        let why = why.join("; ");
        plan.note(|| why.clone());
        plan.action = Some(PlannedAction {
            account: account.code.clone(),
            scenario: scenario_name.to_string(),
            step: step.name.clone(),
            kinds: step.actions.iter().map(Action::kind).collect(),
            template,
            planned_for,
            late,
            leader: leader.key(),
            items,
            to,
            cc,
            mode: step.mode,
            escalate,
            tasks,
            why,
        });
    }

    /// Why an item's status keeps it from being chased on `date` (it
    /// excludes it, or suspends it then), or `None`.
    pub(crate) fn status_hold(
        &self,
        account: &Account,
        summary: &AccountFigures,
        item: &Item,
        scenario_name: &str,
        date: NaiveDate,
        failures: &mut Vec<HookError>,
    ) -> Option<String> {
        let status = item.status.as_deref()?;
        let def = self.config.statuses.get(status)?;
        match &def.effect {
            StatusEffect::Excludes => Some(format!("{}: {status} excludes it", item.reference)),
            StatusEffect::Suspends(None) => {
                Some(format!("{}: suspended by {status}", item.reference))
            }
            StatusEffect::Suspends(Some(_)) => {
                let ctx = self.ctx(account, summary, Some(item), scenario_name, date);
                let until = self.suspends_until[status]
                    .eval(&ctx, &self.hooks)
                    .map_err(|e| failures.push(e))
                    .ok();
                match until {
                    Some(relance_rules::Value::Date(x)) if date > x => None,
                    Some(relance_rules::Value::Date(x)) => Some(format!(
                        "{}: suspended by {status} until {x}",
                        item.reference
                    )),
                    _ => Some(format!(
                        "{}: suspended by {status} (no end date)",
                        item.reference
                    )),
                }
            }
            StatusEffect::None => None,
        }
    }

    /// Just before sending (docs/reference/planning.md "Execution"): which of an action's
    /// covered items are still to chase on `date`,
    /// and why each other one was dropped (paid, excluded or suspended).
    pub fn still_chased(
        &self,
        account: &Account,
        scenario: &str,
        items: &[ItemKey],
        date: NaiveDate,
    ) -> (Vec<ItemKey>, Vec<String>) {
        let summary = self.figures(account, date);
        let mut failures = Vec::new();
        let mut keep = Vec::new();
        let mut dropped = Vec::new();
        for key in items {
            let Some(item) = account
                .items
                .iter()
                .find(|i| key.is(i))
                .filter(|i| i.remaining > 0)
            else {
                dropped.push(format!("{}: paid", key.reference));
                continue;
            };
            match self.status_hold(account, &summary, item, scenario, date, &mut failures) {
                Some(why) => dropped.push(why),
                None => keep.push(key.clone()),
            }
        }
        (keep, dropped)
    }

    /// Which of the account's items (in `account.items` order) a message
    /// on `date` must not ask to be paid: their status excludes them or
    /// suspends them then, decided as for planning (docs/reference/templates.md "held
    /// items"). `scenario` is the action's; `None` (a statement) takes the
    /// account's own.
    pub fn held(&self, account: &Account, scenario: Option<&str>, date: NaiveDate) -> Vec<bool> {
        let summary = self.figures(account, date);
        let mut failures = Vec::new();
        let own;
        let scenario = match scenario {
            Some(s) => s,
            None => {
                own = self.scenario_of(account, &summary, date, &mut failures).0;
                own.as_str()
            }
        };
        account
            .items
            .iter()
            .map(|item| {
                self.status_hold(account, &summary, item, scenario, date, &mut failures)
                    .is_some()
            })
            .collect()
    }

    /// The items an action covers whose `last_step` moves to its step (it
    /// never moves back).
    pub fn advancing(&self, account: &Account, action: &PlannedAction) -> Vec<ItemKey> {
        account
            .items
            .iter()
            .filter(|i| {
                action.items.iter().any(|k| k.is(i))
                    && self.is_later(
                        &action.scenario,
                        &action.step,
                        i.last_step(&action.scenario),
                    )
            })
            .map(Item::key)
            .collect()
    }

    /// Whether `step` comes after `than` in `scenario` (unknown steps come first).
    pub fn is_later(&self, scenario: &str, step: &str, than: Option<&str>) -> bool {
        let Some(s) = self.config.scenarios.get(scenario) else {
            return false;
        };
        let pos = |n: &str| s.steps.iter().position(|x| x.name == n);
        match (pos(step), than.and_then(pos)) {
            (Some(a), Some(b)) => a > b,
            (Some(_), None) => true,
            _ => false,
        }
    }
}
