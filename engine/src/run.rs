//! Planning and recording a day over the whole store: accounts are read a
//! page at a time, planned with [`Planner::plan_account`], and — for `run` —
//! recorded in one transaction per page. Delivery is not done here: the
//! caller sends what [`run`] returns as recorded (the actions table is the
//! outbox).

use chrono::{DateTime, NaiveDate, Utc};

use crate::planner::{Account, AccountPlan, PlannedAction, Planner};
use crate::store::actions::{self, NewAction};
use crate::store::alerts::{self, RaisedAlert};
use crate::store::escalations::{self, FiredEscalation};
use crate::store::facts::{self, Codes};
use crate::store::notices;
use crate::store::switches::{self, Switch};
use crate::store::tasks;
use crate::store::{Store, StoreError, Tx};

/// Accounts read and planned per page (and per transaction for `run`).
pub const PAGE: usize = 1000;

/// When a run happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// One date for every account (`--date`).
    Date(NaiveDate),
    /// An instant: each account's date is its date there (`--at`, or now).
    At(DateTime<Utc>),
}

impl When {
    /// The account's run date.
    pub fn date_for(&self, planner: &Planner, account: &Account) -> NaiveDate {
        match self {
            When::Date(d) => *d,
            When::At(i) => planner.date_at(account, *i),
        }
    }

    /// The date printed at the top of the output: `--date`, else the date of
    /// the instant in the settings' timezone.
    pub fn headline(&self, planner: &Planner) -> NaiveDate {
        match self {
            When::Date(d) => *d,
            When::At(i) => i
                .with_timezone(&planner.config.settings.timezone)
                .date_naive(),
        }
    }
}

/// Why a run could not be done.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A reading task failed.
    #[error("reading accounts failed: {0}")]
    Task(String),
    /// Writing the plan out failed.
    #[error("writing the plan: {0}")]
    Write(#[from] std::io::Error),
    /// `--account` names no collection account.
    #[error(
        "no collection account {0}: the customer is unknown or collected through its group leader"
    )]
    UnknownAccount(String),
}

/// Which accounts.
#[derive(Debug, Clone)]
pub struct Selection {
    /// One account only.
    pub account: Option<String>,
    /// Keep every account's plan, even those with nothing to do.
    pub keep_all: bool,
    /// Keep the trace of every decision (`--explain`).
    pub trace: bool,
    /// The item columns to read.
    pub columns: facts::ItemColumns,
    /// Only the accounts in this timezone (the worker's daily run per
    /// timezone); `None`: every account.
    pub timezone: Option<chrono_tz::Tz>,
    /// Only the accounts whose codes fall in this range (a shard of a
    /// daily run); `None`: every code.
    pub codes: Option<CodeRange>,
}

/// A range of account codes in byte order: after `after` (exclusive) up to
/// `upto` (inclusive); a missing bound is open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeRange {
    /// Exclusive lower bound.
    pub after: Option<String>,
    /// Inclusive upper bound.
    pub upto: Option<String>,
}

impl CodeRange {
    /// Whether `code` is in the range.
    pub fn contains(&self, code: &str) -> bool {
        self.after.as_deref().is_none_or(|after| code > after)
            && self.upto.as_deref().is_none_or(|upto| code <= upto)
    }
}

/// The origin of the actions of run `id` (`api_runs`): the API's runs and
/// the workers' daily runs.
pub fn run_origin(id: i64) -> String {
    format!("run:{id}")
}

impl Selection {
    /// Every account, reading what `planner` needs.
    pub fn all(planner: &Planner) -> Selection {
        Selection {
            account: None,
            keep_all: false,
            trace: false,
            columns: planner.item_columns(),
            timezone: None,
            codes: None,
        }
    }

    /// Every account, reading every item column: what a message or a
    /// statement shows (issue dates, comments, custom fields), whether or
    /// not the configuration's expressions read it.
    pub fn to_render(planner: &Planner) -> Selection {
        Selection {
            columns: facts::ItemColumns::ALL,
            ..Selection::all(planner)
        }
    }
}

/// The codes of the selected accounts, in code order: in the selection's
/// timezone only (the accounts of other timezones are not read at all).
async fn selected_codes(
    store: &Store,
    planner: Option<&Planner>,
    selection: &Selection,
) -> Result<Vec<String>, RunError> {
    if let Some(code) = &selection.account {
        return Ok(vec![code.clone()]);
    }
    let mut tx = store.begin().await?;
    let mut codes = match (selection.timezone, planner) {
        (Some(tz), Some(planner)) => crate::store::customers::account_timezones_by_code(&mut tx)
            .await?
            .into_iter()
            .filter(|(_, zone)| planner.timezone_named(zone.as_deref()) == tz)
            .map(|(code, _)| code)
            .collect(),
        _ => facts::all_account_codes(&mut tx).await?,
    };
    tx.rollback().await?;
    // In byte order whatever the database's collation: pages are ranges of
    // codes, and plans come out in this order.
    codes.sort_unstable();
    if let Some(range) = &selection.codes {
        codes.retain(|code| range.contains(code));
    }
    Ok(codes)
}

/// Reads the accounts with these codes in `tx`; an account asked for by
/// name (`--account`) must exist.
async fn read_accounts(
    tx: &mut Tx,
    codes: &[String],
    kind: Codes,
    selection: &Selection,
) -> Result<Vec<Account>, RunError> {
    let facts = facts::accounts_in(tx, codes, kind, selection.columns).await?;
    accounts_of(facts, selection)
}

/// The planner's accounts; an account asked for by name (`--account`) must
/// exist.
fn accounts_of(
    facts: Vec<facts::AccountFacts>,
    selection: &Selection,
) -> Result<Vec<Account>, RunError> {
    if let Some(code) = &selection.account
        && facts.is_empty()
    {
        return Err(RunError::UnknownAccount(code.clone()));
    }
    Ok(facts.into_iter().map(Account::from_facts).collect())
}

/// Reads the accounts with these codes in a transaction of their own: from
/// the file on a blocking thread for a SQLite store, else through the pool.
async fn load_codes(
    store: Store,
    codes: Vec<String>,
    kind: Codes,
    selection: Selection,
) -> Result<Vec<Account>, RunError> {
    if let Some(path) = store.sqlite_file() {
        return tokio::task::spawn_blocking(move || {
            let facts =
                facts::FileReader::open(&path)?.accounts(&codes, kind, selection.columns)?;
            accounts_of(facts, &selection)
        })
        .await
        .map_err(|e| RunError::Task(e.to_string()))?;
    }
    let mut tx = store.begin().await?;
    let accounts = read_accounts(&mut tx, &codes, kind, &selection).await;
    tx.rollback().await?;
    accounts
}

fn worth_keeping(plan: &AccountPlan, selection: &Selection) -> bool {
    selection.keep_all
        || plan.action.is_some()
        || !plan.alerts.is_empty()
        || !plan.escalations.is_empty()
}

/// Loads every selected account (for `simulate` and `diff`, which replay
/// them in memory).
pub async fn load(store: &Store, selection: &Selection) -> Result<Vec<Account>, RunError> {
    let mut all = Vec::new();
    for chunk in selected_codes(store, None, selection).await?.chunks(PAGE) {
        all.extend(
            load_codes(
                store.clone(),
                chunk.to_vec(),
                Codes::Page,
                selection.clone(),
            )
            .await?,
        );
    }
    Ok(all)
}

/// Reads the accounts with these codes whole, every item column included
/// (the worker re-reads an action's account just before sending, and its
/// message shows issue dates and comments the planner may not read).
pub async fn load_accounts(
    store: &Store,
    planner: &Planner,
    codes: Vec<String>,
) -> Result<Vec<Account>, RunError> {
    load_codes(
        store.clone(),
        codes,
        Codes::Listed,
        Selection::to_render(planner),
    )
    .await
}

/// Where the time of a plan went.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanStats {
    /// Accounts planned.
    pub accounts: usize,
    /// Items read.
    pub items: usize,
    /// Waiting for accounts to be read (reading goes on while planning).
    pub load: std::time::Duration,
    /// Planning them.
    pub evaluate: std::time::Duration,
}

/// Plans the day, recording nothing.
pub async fn plan(
    store: &Store,
    planner: &Planner,
    when: When,
    selection: &Selection,
) -> Result<Vec<AccountPlan>, RunError> {
    plan_measured(store, planner, when, selection)
        .await
        .map(|(plans, _)| plans)
}

/// Below this many accounts a page is planned on one thread.
const ACCOUNTS_PER_THREAD: usize = 64;

/// Plans a page of accounts on every core, each core a run of the page
/// (scoped threads), the plans in the page's order. The planner is a pure
/// function of each account and its date: the plans are the same as on one
/// thread.
fn plan_page(planner: &Planner, accounts: &[Account], when: When, trace: bool) -> Vec<AccountPlan> {
    let plan = |a: &Account| planner.plan_account_traced(a, when.date_for(planner, a), trace);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let per_thread = accounts.len().div_ceil(cores).max(ACCOUNTS_PER_THREAD);
    let mut parts = accounts.chunks(per_thread);
    let Some(first) = parts.next() else {
        return Vec::new();
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = parts
            .map(|part| scope.spawn(move || part.iter().map(plan).collect::<Vec<_>>()))
            .collect();
        let mut plans: Vec<AccountPlan> = first.iter().map(plan).collect();
        for other in others {
            match other.join() {
                Ok(part) => plans.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        plans
    })
}

/// Pages of accounts loaded ahead while the caller plans the current one.
const PAGES_AHEAD: usize = 2;

/// [`plan`], with where the time went.
pub async fn plan_measured(
    store: &Store,
    planner: &Planner,
    when: When,
    selection: &Selection,
) -> Result<(Vec<AccountPlan>, PlanStats), RunError> {
    let mut plans = Vec::new();
    let stats = plan_each(store, planner, when, selection, |plan| {
        plans.push(plan);
        Ok(())
    })
    .await?;
    Ok((plans, stats))
}

/// Plans the day and hands each plan worth keeping to `each`, in account
/// code order, as soon as its page is planned: nothing is kept here, so
/// memory does not grow with the portfolio. Pages are read ahead on their
/// own connections while the current one is planned on every core.
pub async fn plan_each(
    store: &Store,
    planner: &Planner,
    when: When,
    selection: &Selection,
    mut each: impl FnMut(AccountPlan) -> Result<(), RunError>,
) -> Result<PlanStats, RunError> {
    let mut stats = PlanStats::default();
    let started = std::time::Instant::now();
    let codes = selected_codes(store, Some(planner), selection).await?;
    stats.load += started.elapsed();

    let mut chunks = codes.chunks(PAGE).map(<[String]>::to_vec);
    let mut pending = std::collections::VecDeque::new();
    loop {
        while pending.len() <= PAGES_AHEAD {
            let Some(chunk) = chunks.next() else { break };
            pending.push_back(tokio::spawn(load_codes(
                store.clone(),
                chunk,
                Codes::Page,
                selection.clone(),
            )));
        }
        let Some(next) = pending.pop_front() else {
            break;
        };
        let started = std::time::Instant::now();
        let mut accounts = next.await.map_err(|e| RunError::Task(e.to_string()))??;
        stats.load += started.elapsed();
        let started = std::time::Instant::now();
        // In byte order within the page too (PostgreSQL returns a list in
        // its collation's order), so that plans come out in code order.
        accounts.sort_by(|a, b| a.code.cmp(&b.code));
        stats.accounts += accounts.len();
        stats.items += accounts.iter().map(|a| a.items.len()).sum::<usize>();
        let plans = plan_page(planner, &accounts, when, selection.trace);
        drop(accounts);
        stats.evaluate += started.elapsed();
        for plan in plans {
            if worth_keeping(&plan, selection) {
                each(plan)?;
            }
        }
    }
    Ok(stats)
}

/// An action as a run recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The action.
    pub action: PlannedAction,
    /// Its id.
    pub id: i64,
    /// Its state as recorded.
    pub state: String,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// Every account's plan that has something.
    pub plans: Vec<AccountPlan>,
    /// Actions this run recorded, in account order (an action a concurrent
    /// run recorded first is not among them).
    pub recorded: Vec<Recorded>,
    /// Alerts raised now and resolved now.
    pub raised: usize,
    /// Alerts resolved now.
    pub resolved: usize,
    /// Escalations recorded now.
    pub escalated: usize,
    /// The alerts raised now (what changed today, for people).
    pub raised_alerts: Vec<RaisedAlert>,
    /// The alerts resolved now: `(alert, account, item key or "")`.
    pub resolved_alerts: Vec<(String, String, String)>,
    /// The escalations recorded now.
    pub fired: Vec<FiredEscalation>,
    /// The ids of the tasks opened now.
    pub tasks_opened: Vec<i64>,
    /// The open tasks cancelled now: every item they cover was paid.
    pub tasks_cancelled: Vec<i64>,
    /// Notices recorded now (what colleagues are told: docs/reference/planning.md
    /// "Notifications").
    pub notices: usize,
    /// Internal messages created now: immediate alerts.
    pub immediate: usize,
    /// Internal messages created now: digests (one per colleague per day).
    pub digests: usize,
}

/// The state a new action starts in: review actions wait for a person.
pub fn initial_state(action: &PlannedAction) -> &'static str {
    match action.mode {
        relance_dsl::model::Mode::Review => "waiting_review",
        relance_dsl::model::Mode::Auto => "queued",
    }
}

/// Plans and records the day: actions (once, by their unique key), last
/// steps, switches, escalations and alert raises/resolves, one transaction
/// per page of accounts.
pub async fn run(
    store: &Store,
    planner: &Planner,
    when: When,
    selection: &Selection,
    now: DateTime<Utc>,
    origin: &str,
) -> Result<RunOutcome, RunError> {
    let now_text = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let cancelled = crate::tasks::cancel_paid(store, &now_text, origin).await?;
    let mut outcome = run_pages(store, planner, when, selection, now, origin).await?;
    outcome.tasks_cancelled = cancelled;
    // Every colleague with notices waiting gets the day's digest, once.
    outcome.digests = notices::open_digests(
        store,
        &when.headline(planner).to_string(),
        &now_text,
        origin,
    )
    .await?;
    Ok(outcome)
}

/// The pages of [`run`]: plans and records the selected accounts, one
/// transaction per page, without cancelling paid tasks first or opening
/// the digests after (a shard of a daily run is part of a run).
pub async fn run_pages(
    store: &Store,
    planner: &Planner,
    when: When,
    selection: &Selection,
    now: DateTime<Utc>,
    origin: &str,
) -> Result<RunOutcome, RunError> {
    let now_text = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut outcome = RunOutcome::default();
    // On PostgreSQL the next page is read on a connection of its own while
    // this one is planned and recorded (a statement there sees what was
    // committed when it starts, in the page's transaction or not). SQLite
    // reads each page in its write transaction, which the write lock
    // serialises with other writers.
    let ahead = store.backend() == crate::store::Backend::Postgres;
    let codes = selected_codes(store, Some(planner), selection).await?;
    let mut chunks = codes.chunks(PAGE).map(<[String]>::to_vec);
    let mut next: Option<tokio::task::JoinHandle<Result<Vec<Account>, RunError>>> = None;
    let read_ahead = |chunk: Vec<String>| {
        tokio::spawn(load_codes(
            store.clone(),
            chunk,
            Codes::Page,
            selection.clone(),
        ))
    };
    if ahead {
        next = chunks.next().map(read_ahead);
    }
    loop {
        let (mut tx, mut accounts) = if ahead {
            let Some(this) = next.take() else { break };
            next = chunks.next().map(read_ahead);
            let accounts = this.await.map_err(|e| RunError::Task(e.to_string()))??;
            (store.begin_write().await?, accounts)
        } else {
            let Some(chunk) = chunks.next() else { break };
            let mut tx = store.begin_write().await?;
            let accounts = read_accounts(&mut tx, &chunk, Codes::Page, selection).await?;
            (tx, accounts)
        };
        if let Some(tz) = selection.timezone {
            accounts.retain(|a| planner.timezone(a) == tz);
        }
        let plans = plan_page(planner, &accounts, when, false);
        record_page(
            &mut tx,
            planner,
            &accounts,
            &plans,
            &now_text,
            origin,
            &mut outcome,
        )
        .await?;
        tx.commit().await?;
        outcome
            .plans
            .extend(plans.into_iter().filter(|p| worth_keeping(p, selection)));
    }
    Ok(outcome)
}

#[allow(clippy::too_many_arguments)]
async fn record_page(
    tx: &mut Tx,
    planner: &Planner,
    accounts: &[Account],
    plans: &[AccountPlan],
    now: &str,
    origin: &str,
    outcome: &mut RunOutcome,
) -> Result<(), RunError> {
    let first_recorded = outcome.recorded.len();
    let first_raised = outcome.raised_alerts.len();
    let first_resolved = outcome.resolved_alerts.len();
    let first_fired = outcome.fired.len();
    // Actions, grouped by date (accounts in several timezones may differ).
    let mut new_actions = Vec::new();
    let mut planned = Vec::new();
    for (account, plan) in accounts.iter().zip(plans) {
        let Some(action) = &plan.action else { continue };
        let advance = planner.advancing(account, action);
        new_actions.push(NewAction {
            account: action.account.to_string(),
            scenario: action.scenario.clone(),
            step: action.step.clone(),
            leader: action.leader.clone(),
            run_date: plan.date.to_string(),
            planned_for: action.planned_for.to_string(),
            state: initial_state(action).to_string(),
            items: action.items.clone(),
            advance,
            payload: serde_json::json!({
                "kinds": action.kinds, "template": action.template, "to": action.to, "cc": action.cc,
                "mode": action.mode.as_str(), "late": action.late, "why": action.why,
                "tasks": action.tasks,
            })
            .to_string(),
        });
        planned.push((action.clone(), plan.date));
    }
    let ids = actions::record(tx, &new_actions, now, origin).await?;
    let mut switches = Vec::new();
    let mut new_tasks = Vec::new();
    for ((action, date), id) in planned.into_iter().zip(ids) {
        let Some(id) = id else { continue };
        if action.mode == relance_dsl::model::Mode::Auto {
            new_tasks.extend(crate::tasks::to_open(
                id,
                &action.account.to_string(),
                &action.items,
                &date.to_string(),
                &action.tasks,
            ));
        }
        if let Some(s) = &action.escalate
            && let Some(next) = date.succ_opt()
        {
            switches.push(Switch {
                account: action.account.to_string(),
                scenario: s.clone(),
                effective_on: next.to_string(),
                cause: format!("step:{}/{}", action.scenario, action.step),
            });
        }
        outcome.recorded.push(Recorded {
            state: initial_state(&action).to_string(),
            action,
            id,
        });
    }
    switches::record(tx, &switches, origin).await?;
    let opened = tasks::open(tx, &new_tasks, now, origin).await?;
    outcome
        .tasks_opened
        .extend(opened.iter().map(|(id, _)| *id));

    // Escalations and alerts, by date.
    let mut by_date: std::collections::BTreeMap<NaiveDate, (Vec<_>, Vec<_>, Vec<_>, Vec<_>)> =
        std::collections::BTreeMap::new();
    for (account, plan) in accounts.iter().zip(plans) {
        let entry = by_date.entry(plan.date).or_default();
        let skipped = plan.scenario.is_none();
        for e in &plan.escalations {
            entry.0.push(FiredEscalation {
                escalation: e.escalation.clone(),
                account: account.code.to_string(),
                switch: plan
                    .switch_today
                    .as_ref()
                    .filter(|_| e.switch.as_ref() == plan.switch_today.as_ref())
                    .cloned(),
            });
        }
        if !skipped {
            for name in &account.escalations {
                if !plan.holding_escalations.contains(name) {
                    entry.1.push((name.clone(), account.code.to_string()));
                }
            }
        }
        let (raised, resolved) = plan.alert_changes(account);
        entry.2.extend(raised.into_iter().map(|a| RaisedAlert {
            alert: a.alert.clone(),
            account: account.code.to_string(),
            item: a.item_key(),
            level: a.level.as_str().to_string(),
            detail: a.why.clone(),
        }));
        entry.3.extend(
            resolved
                .into_iter()
                .map(|(alert, item)| (alert, account.code.to_string(), item)),
        );
    }
    for (date, (fired, ended, raised, resolved)) in by_date {
        let date = date.to_string();
        let new = escalations::record(tx, &fired, &ended, &date, now, origin).await?;
        outcome.escalated += new.len();
        outcome.fired.extend(new);
        let new = alerts::record(tx, &raised, &resolved, &date, now, origin).await?;
        outcome.raised += new.len();
        outcome.raised_alerts.extend(new);
        outcome.resolved += resolved.len();
        outcome.resolved_alerts.extend(resolved);
    }

    // What the colleagues are told of all that, in the same transaction.
    let new_notices = crate::notify::notices(
        planner,
        accounts,
        plans,
        crate::notify::PageChanges {
            recorded: &outcome.recorded[first_recorded..],
            tasks: &opened,
            raised: &outcome.raised_alerts[first_raised..],
            resolved: &outcome.resolved_alerts[first_resolved..],
            fired: &outcome.fired[first_fired..],
        },
    );
    let done = notices::record(tx, &new_notices, now, origin).await?;
    outcome.notices += done.notices;
    outcome.immediate += done.immediate;
    Ok(())
}
