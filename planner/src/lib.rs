//! The planner: what a day brings for one collection account (PLANNING.md).
//!
//! [`Planner::plan_account`] is a pure function of the compiled configuration,
//! the account (its data and what earlier runs left: steps, last action, open
//! alerts, fired escalations, switches) and the run date. It reads no clock
//! and no database; `run`, `plan`, `simulate` and `diff` all go through it.
//! [`apply`] carries a plan's effects into the account, for `simulate`.

pub mod account;
pub mod facts;
pub mod calendar;
pub mod output;

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use relance_dsl::Sources;
use relance_dsl::model::{Action, Config, Level, Mode, Recipient, Scenario, StatusEffect};
use relance_rules::{Compiled, HookError, Hooks};

pub use account::{Account, AccountFigures, Evaluation, Item};
pub use relance_money::{Currency, Decimal, Money};
use calendar::BusinessCalendar;

/// A configuration that cannot be planned with; `relance check` rules these
/// out, so meeting one means the configuration was not checked.
#[derive(Debug, thiserror::Error)]
pub enum PlannerError {
    /// An expression does not compile.
    #[error(transparent)]
    Expression(#[from] relance_rules::eval::CompileError),
    /// A hook file does not compile.
    #[error(transparent)]
    Hook(#[from] relance_rules::hooks::HookLoadError),
    /// A hook file is missing.
    #[error("hook file {0} is missing")]
    MissingHook(String),
    /// The settings' currency is no ISO 4217 code.
    #[error("the settings' currency `{0}` is not a currency code")]
    Currency(String),
}

struct CompiledStep {
    when: Option<Compiled>,
}

struct CompiledAlert {
    name: String,
    when: Compiled,
    item: bool,
    level: Level,
}

struct CompiledEscalation {
    name: String,
    when: Compiled,
    switch: Option<String>,
    notifies: bool,
}

/// The configuration compiled for planning: expressions, hooks, calendars.
pub struct Planner {
    /// The configuration.
    pub config: Config,
    hooks: Hooks,
    calendars: HashMap<String, BusinessCalendar>,
    /// The calendar of scenarios without one: every day is a business day.
    every_day: BusinessCalendar,
    steps: HashMap<String, Vec<CompiledStep>>,
    assigns: Vec<(String, Compiled)>,
    suspends_until: HashMap<String, Compiled>,
    alerts: Vec<CompiledAlert>,
    escalations: Vec<CompiledEscalation>,
    /// The settings' currency.
    currency: Currency,
}

impl std::fmt::Debug for Planner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Planner").finish_non_exhaustive()
    }
}

fn text_of(sources: &Sources, span: relance_dsl::Span) -> String {
    sources
        .get(span.file)
        .text
        .get(span.start as usize..span.end as usize)
        .unwrap_or("")
        .to_string()
}

/// A planned action.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedAction {
    /// The account.
    pub account: String,
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
    /// The leader item: `(customer, reference)`.
    pub leader: (String, String),
    /// Covered items: `(customer, reference)`, sorted.
    pub items: Vec<(String, String)>,
    /// Main recipients, sorted.
    pub to: Vec<String>,
    /// Copies, sorted.
    pub cc: Vec<String>,
    /// Auto or review.
    pub mode: Mode,
    /// The scenario an `escalate` action switches to, from the next day.
    pub escalate: Option<String>,
    /// Why this action.
    pub why: String,
}

/// An alert open on D.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedAlert {
    /// Alert name.
    pub alert: String,
    /// The account.
    pub account: String,
    /// The item, `(customer, reference)`, for item alerts.
    pub item: Option<(String, String)>,
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
            .map(|(c, r)| format!("{c}/{r}"))
            .unwrap_or_default()
    }
}

/// An escalation that fires on D.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedEscalation {
    /// Escalation name.
    pub escalation: String,
    /// The account.
    pub account: String,
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
    pub account: String,
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
    fn note(&mut self, line: impl FnOnce() -> String) {
        if self.tracing {
            self.trace.push(line());
        }
    }
}

/// A chased item's trigger date for a step.
fn trigger(cal: &BusinessCalendar, due: NaiveDate, offset: i64) -> NaiveDate {
    due.checked_add_signed(chrono::TimeDelta::days(offset))
        .map_or(due, |d| cal.on_or_after(d))
}

impl Planner {
    /// Compiles a checked configuration.
    pub fn new(config: &Config, sources: &Sources) -> Result<Planner, PlannerError> {
        let compile = |e: &relance_dsl::ast::Expr| Compiled::new(e, text_of(sources, e.span));
        let mut hook_files = Vec::new();
        for hook in config.hooks.values() {
            let id = sources
                .find(&hook.path)
                .ok_or_else(|| PlannerError::MissingHook(hook.path.clone()))?;
            let file = sources.get(id);
            hook_files.push((file.path.as_str(), file.text.as_str()));
        }
        let hooks = Hooks::compile(hook_files)?;
        let calendars = config
            .calendars
            .iter()
            .map(|(name, c)| (name.clone(), BusinessCalendar::new(c)))
            .collect();
        let mut steps = HashMap::new();
        for (name, scenario) in &config.scenarios {
            let compiled = scenario
                .steps
                .iter()
                .map(|s| {
                    Ok(CompiledStep {
                        when: s.when.as_ref().map(compile).transpose()?,
                    })
                })
                .collect::<Result<Vec<_>, PlannerError>>()?;
            steps.insert(name.clone(), compiled);
        }
        let assigns = config
            .assigns
            .iter()
            .map(|a| Ok((a.scenario.clone(), compile(&a.when)?)))
            .collect::<Result<Vec<_>, PlannerError>>()?;
        let mut suspends_until = HashMap::new();
        for (name, status) in &config.statuses {
            if let StatusEffect::Suspends(Some(e)) = &status.effect {
                suspends_until.insert(name.clone(), compile(e)?);
            }
        }
        let mut alerts = Vec::new();
        for alert in config.alerts.values() {
            if let Some(when) = &alert.when {
                alerts.push(CompiledAlert {
                    name: alert.name.clone(),
                    when: compile(when)?,
                    item: alert.scope == relance_dsl::model::Scope::Item,
                    level: alert.level,
                });
            }
        }
        let escalations = config
            .escalations
            .values()
            .map(|e| {
                Ok(CompiledEscalation {
                    name: e.name.clone(),
                    when: compile(&e.when)?,
                    switch: e.switch.clone(),
                    notifies: !e.notify.is_empty(),
                })
            })
            .collect::<Result<Vec<_>, PlannerError>>()?;
        let currency = Currency::new(&config.settings.currency)
            .ok_or_else(|| PlannerError::Currency(config.settings.currency.clone()))?;
        Ok(Planner {
            currency,
            config: config.clone(),
            hooks,
            calendars,
            every_day: BusinessCalendar::default(),
            steps,
            assigns,
            suspends_until,
            alerts,
            escalations,
        })
    }

    /// The timezone of an account: its leader's, else the settings'.
    pub fn timezone(&self, account: &Account) -> chrono_tz::Tz {
        account
            .leader()
            .and_then(|c| c.facts.timezone.as_deref())
            .and_then(|tz| tz.parse().ok())
            .unwrap_or(self.config.settings.timezone)
    }

    /// The run date of an account for a run started at `instant`.
    pub fn date_at(&self, account: &Account, instant: chrono::DateTime<chrono::Utc>) -> NaiveDate {
        instant.with_timezone(&self.timezone(account)).date_naive()
    }

    fn calendar(&self, scenario: &Scenario) -> &BusinessCalendar {
        scenario
            .calendar
            .as_ref()
            .or(self.config.settings.calendar.as_ref())
            .and_then(|c| self.calendars.get(c))
            .unwrap_or(&self.every_day)
    }

    /// The platform currency (the settings').
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The rate of a currency to the platform currency (1 for itself);
    /// `None` when the settings give none, or the code is no currency.
    pub fn rate(&self, currency: &str) -> Option<Decimal> {
        if currency == self.config.settings.currency {
            Some(Decimal::ONE)
        } else {
            Currency::new(currency)?;
            self.config.settings.rates.get(currency).copied()
        }
    }

    /// An amount of `currency` in `to`: unchanged in its own currency, else
    /// converted at the settings' rate and rounded once
    /// ([`Money::convert`]). `None` when no rate converts it (every rate
    /// given converts into the platform currency; `to` is that or `currency`).
    pub fn convert(&self, minor: i64, currency: &str, to: Currency) -> Option<Money> {
        let from = Currency::new(currency)?;
        if from == to {
            return Some(Money::new(minor, to));
        }
        Some(Money::new(minor, from).convert(self.rate(currency)?, to))
    }

    /// An item's remaining in the platform currency (nothing when no rate
    /// converts it: callers skip such accounts first).
    fn remaining(&self, i: &Item) -> Money {
        self.convert(i.remaining, &i.currency, self.currency)
            .unwrap_or(Money::zero(self.currency))
    }

    /// The account's figures on `date` (`account.*`).
    pub fn figures(&self, account: &Account, date: NaiveDate) -> AccountFigures {
        AccountFigures::compute(account, date, self.currency, |i| self.remaining(i))
    }

    /// The late-payment penalty of an item on `date`, in `to` (the item's
    /// currency, or one its rate converts into), computed in exact decimals
    /// and rounded once to `to`'s minor unit: `hook.penalty(item)` when the
    /// hook files define it (its result in the item's currency), else the
    /// built-in rule, interest at 10% a year on the remaining amount for
    /// each day past due. Nothing before the due date; a negative result is
    /// nothing.
    pub fn penalty(
        &self,
        account: &Account,
        item: &Item,
        date: NaiveDate,
        to: Currency,
    ) -> Result<Money, HookError> {
        let failed = |reason: String| HookError {
            function: "penalty".into(),
            reason,
        };
        let currency = Currency::new(&item.currency)
            .ok_or_else(|| failed(format!("`{}` is no currency", item.currency)))?;
        let rate = if currency == to {
            Decimal::ONE
        } else {
            self.rate(&item.currency)
                .ok_or_else(|| failed(format!("no rate from {currency} to {to}")))?
        };
        let exact = self.penalty_exact(account, item, date, currency)?;
        let converted = exact.checked_mul(rate).unwrap_or(Decimal::MAX);
        Ok(Money::from_decimal(converted.max(Decimal::ZERO), to))
    }

    /// [`Planner::penalty`] in the item's currency, before rounding.
    fn penalty_exact(
        &self,
        account: &Account,
        item: &Item,
        date: NaiveDate,
        currency: Currency,
    ) -> Result<Decimal, HookError> {
        let days = (date - item.due_date).num_days();
        if days <= 0 || !item.kind.is_debit() {
            return Ok(Decimal::ZERO);
        }
        let remaining = Money::new(item.remaining, currency).to_decimal();
        if !self.hooks.has_function("penalty", 1) {
            let yearly = remaining * Decimal::new(10, 2) * Decimal::from(days);
            return Ok(yearly / Decimal::from(365));
        }
        let failed = |reason: String| HookError {
            function: "penalty".into(),
            reason,
        };
        let summary = self.figures(account, date);
        let scenario = account
            .leader()
            .and_then(|c| c.facts.scenario.as_deref())
            .unwrap_or("");
        let ctx = self.ctx(account, &summary, Some(item), scenario, date);
        let arg = relance_rules::eval::whole(&ctx, relance_rules::Root::Item);
        match self.hooks.call("penalty", vec![arg])? {
            relance_rules::Value::Number(n) => Ok(n),
            other => Err(failed(format!("it returned {other:?}, not an amount"))),
        }
    }

    /// The item columns the configuration's expressions read (a hook given
    /// the whole item reads them all).
    pub fn item_columns(&self) -> crate::facts::ItemColumns {
        fn whole_item(e: &relance_dsl::ast::Expr) -> bool {
            use relance_dsl::ast::ExprKind as K;
            match &e.kind {
                K::HookCall(_, args) => args
                    .iter()
                    .any(|a| matches!(&a.kind, K::Var(v) if v.node == "item") || whole_item(a)),
                K::List(items) | K::Call(_, items) => items.iter().any(whole_item),
                K::Unary(_, e) | K::Paren(e) => whole_item(e),
                K::Binary(_, l, r) => whole_item(l) || whole_item(r),
                K::Literal(_) | K::Path(_) | K::Var(_) => false,
            }
        }
        let c = &self.config;
        let mut exprs: Vec<&relance_dsl::ast::Expr> = Vec::new();
        exprs.extend(c.assigns.iter().map(|a| &a.when));
        exprs.extend(c.alerts.values().filter_map(|a| a.when.as_ref()));
        exprs.extend(c.escalations.values().map(|e| &e.when));
        for s in c.scenarios.values() {
            exprs.extend(s.steps.iter().filter_map(|s| s.when.as_ref()));
        }
        for s in c.statuses.values() {
            if let StatusEffect::Suspends(Some(e)) = &s.effect {
                exprs.push(e);
            }
        }
        let whole = exprs.iter().any(|e| whole_item(e));
        let reads = |field: &str| whole || exprs.iter().any(|e| e.reads("item", field));
        let custom = whole
            || c.fields
                .iter()
                .any(|f| f.target == relance_dsl::model::FieldTarget::Item && reads(&f.name));
        crate::facts::ItemColumns {
            issue_date: reads("issue_date"),
            comment: reads("comment"),
            custom,
        }
    }

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
                            item: Some((item.customer.clone(), item.reference.clone())),
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

    fn level_of(&self, alert: &str) -> Level {
        self.config
            .alerts
            .get(alert)
            .map_or(Level::High, |a| a.level)
    }

    fn ctx<'a>(
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
    fn scenario_of(
        &self,
        account: &Account,
        summary: &AccountFigures,
        date: NaiveDate,
        failures: &mut Vec<HookError>,
    ) -> (String, bool) {
        let known = |s: &&String| self.config.scenarios.contains_key(*s);
        if let Some(s) = account
            .leader()
            .and_then(|c| c.facts.scenario.as_ref())
            .filter(known)
        {
            return (s.clone(), true);
        }
        if let Some((_, s)) = account
            .switches
            .iter()
            .rev()
            .find(|(on, s)| *on <= date && self.config.scenarios.contains_key(s))
        {
            return (s.clone(), false);
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
                return (scenario.clone(), false);
            }
        }
        (default, false)
    }

    #[allow(clippy::too_many_lines)]
    fn choose_step(
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
        let mut items: Vec<(String, String)> = chased
            .iter()
            .filter(|i| trigger(cal, i.due_date, step.offset_days) <= date)
            .map(|i| (i.customer.clone(), i.reference.clone()))
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
            leader: (leader.customer.clone(), leader.reference.clone()),
            items,
            to,
            cc,
            mode: step.mode,
            escalate,
            why,
        });
    }

    /// Why an item's status keeps it from being chased on `date` (it
    /// excludes it, or suspends it then), or `None`.
    fn status_hold(
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

    /// Just before sending (PLANNING.md "Execution"): which of an action's
    /// covered items `(customer, reference)` are still to chase on `date`,
    /// and why each other one was dropped (paid, excluded or suspended).
    pub fn still_chased(
        &self,
        account: &Account,
        scenario: &str,
        items: &[(String, String)],
        date: NaiveDate,
    ) -> (Vec<(String, String)>, Vec<String>) {
        let summary = self.figures(account, date);
        let mut failures = Vec::new();
        let mut keep = Vec::new();
        let mut dropped = Vec::new();
        for (customer, reference) in items {
            let Some(item) = account
                .items
                .iter()
                .find(|i| &i.customer == customer && &i.reference == reference)
                .filter(|i| i.remaining > 0)
            else {
                dropped.push(format!("{reference}: paid"));
                continue;
            };
            match self.status_hold(account, &summary, item, scenario, date, &mut failures) {
                Some(why) => dropped.push(why),
                None => keep.push((customer.clone(), reference.clone())),
            }
        }
        (keep, dropped)
    }

    /// Which of the account's items (in `account.items` order) a message
    /// on `date` must not ask to be paid: their status excludes them or
    /// suspends them then, decided as for planning (TEMPLATES.md "held
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

    /// The addresses a step's emails go to: `to` and `cc`, each sorted and
    /// without duplicates, and no address of `to` repeated in `cc`.
    pub fn recipients(
        &self,
        account: &Account,
        step: &relance_dsl::model::Step,
    ) -> (Vec<String>, Vec<String>) {
        let mut to = BTreeSet::new();
        let mut cc = BTreeSet::new();
        for action in &step.actions {
            if let Action::Email { to: t, cc: c, .. } = action {
                for r in t {
                    to.extend(self.resolve(account, r));
                }
                for r in c {
                    cc.extend(self.resolve(account, r));
                }
            }
        }
        let cc = cc.into_iter().filter(|a| !to.contains(a)).collect();
        (to.into_iter().collect(), cc)
    }

    /// Addresses a recipient resolves to.
    pub fn resolve(&self, account: &Account, r: &Recipient) -> Vec<String> {
        match r {
            Recipient::Contact(role) => account
                .contacts
                .iter()
                .filter(|c| &c.role == role)
                .map(|c| c.email.clone())
                .collect(),
            Recipient::Colleague(role) => account
                .colleagues
                .iter()
                .filter(|c| &c.role == role)
                .map(|c| c.email.clone())
                .collect(),
            Recipient::Address(a) => vec![a.clone()],
        }
    }

    /// The items an action covers whose `last_step` moves to its step (it
    /// never moves back): `(customer, reference)`.
    pub fn advancing(&self, account: &Account, action: &PlannedAction) -> Vec<(String, String)> {
        account
            .items
            .iter()
            .filter(|i| {
                action
                    .items
                    .iter()
                    .any(|(c, r)| *c == i.customer && *r == i.reference)
                    && self.is_later(
                        &action.scenario,
                        &action.step,
                        i.last_step(&action.scenario),
                    )
            })
            .map(|i| (i.customer.clone(), i.reference.clone()))
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

fn test(when: &Compiled, ctx: &Evaluation<'_>, hooks: &Hooks, failures: &mut Vec<HookError>) -> bool {
    match when.test(ctx, hooks) {
        Ok(b) => b,
        Err(e) => {
            failures.push(e);
            false
        }
    }
}

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
            if advancing.contains(&(item.customer.clone(), item.reference.clone())) {
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
