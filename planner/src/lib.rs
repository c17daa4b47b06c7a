//! The planner: what a day brings for one collection account (docs/reference/planning.md).
//!
//! [`Planner::plan_account`] is a pure function of the compiled configuration,
//! the account (its data and what earlier runs left: steps, last action, open
//! alerts, fired escalations, switches) and the run date. It reads no clock
//! and no database; `run`, `plan`, `simulate` and `diff` all go through it.
//! [`apply`] carries a plan's effects into the account, for `simulate`.

pub mod account;
mod amounts;
pub mod calendar;
mod decide;
pub mod facts;
pub mod output;
pub mod plan;
mod recipients;
mod simulate;
mod steps;

use std::collections::HashMap;

use chrono::NaiveDate;
use relance_dsl::Sources;
use relance_dsl::model::{Config, Level, Scenario, StatusEffect};
use relance_rules::{Compiled, Hooks};

pub use account::{Account, AccountFigures, Evaluation, Item};
use calendar::BusinessCalendar;
pub use decide::ScenarioReason;
pub use facts::{AccountCode, ItemKey};
pub use plan::{
    AccountPlan, PlannedAction, PlannedAlert, PlannedEscalation, PlannedTask, WORKER_ALERTS,
};
pub use relance_money::{Currency, Decimal, Money};
pub use simulate::apply;

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
        self.timezone_named(account.leader().and_then(|c| c.facts.timezone.as_deref()))
    }

    /// The timezone an account with this stored timezone runs in: it, when
    /// it is a known IANA name, else the settings'.
    pub fn timezone_named(&self, name: Option<&str>) -> chrono_tz::Tz {
        name.and_then(|tz| tz.parse().ok())
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
}
