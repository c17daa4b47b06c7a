//! Carrying a plan into its account, for `simulate` (several days in a row).

use crate::Planner;
use crate::account::Account;
use crate::plan::AccountPlan;

/// Carries a plan's effects into the account, as a run records them: the
/// action (last steps that move forward, the last action), switches, fired
/// escalations and open alerts. `simulate` uses it between days.
pub fn apply(planner: &Planner, account: &mut Account, plan: &AccountPlan) {
    let (raised, resolved) = plan.alert_changes(account);
    let raised: Vec<(String, String)> = raised
        .into_iter()
        .map(|a| (a.alert.clone(), a.item_key()))
        .collect();
    for key in &resolved {
        account.open_alerts.remove(key);
    }
    account.open_alerts.extend(raised);
    if plan.scenario.is_none() {
        // Skipped (missing rate): only its alerts changed.
        return;
    }
    if let Some(s) = &plan.switch_today {
        account.switches.push((plan.date, s.clone()));
    }
    account.escalations = plan.holding_escalations.clone();
    if let Some(action) = &plan.action {
        let advancing = planner.advancing(account, action);
        for item in &mut account.items {
            if advancing.iter().any(|k| k.is(item)) {
                item.set_last_step(&action.scenario, &action.step);
            }
        }
        account.last_action = Some((plan.date, action.step.clone()));
        if let Some(s) = &action.escalate
            && let Some(next) = plan.date.succ_opt()
        {
            account.switches.push((next, s.clone()));
        }
    }
}
