//! The workspace's pages (Today, Accounts, Account) and the forms they
//! post (qualify an item, approve or reject a review, add a note). Every
//! handler runs behind [`super::session::require_session`]; what it
//! changes goes through the engine functions the CLI and the API use,
//! stamped `ui:<email>`.

use std::collections::{BTreeMap, BTreeSet};

use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use relance_engine::approve::{self, ApproveError};
use relance_engine::notes::{self, NoteError};
use relance_engine::planner::account::Account;
use relance_engine::planner::{Planner, ScenarioReason};
use relance_engine::status::{self, ChangeStamp, NewStatus, StatusError};
use relance_engine::store::actions::{self, ActionFilter};
use relance_engine::store::customers::{self, AccountSearch};
use relance_engine::store::{alerts, facts, history};
use relance_templates::format::Lang as Format;
use serde::{Deserialize, Serialize};

use super::i18n::Lang;
use super::session::Session;
use super::view::{self, Failed, Page, UiError};
use crate::routes::accounts::{Statement, account_view, load, statement};
use crate::routes::today;
use crate::state::AppState;

/// What a handler returns.
type Answer = Result<Response, Failed>;

/// Accounts the search lists at most.
const SHOWN: usize = 100;
/// Accounts the search reads before filtering by scenario.
const SEARCHED: u32 = 500;
/// Reviews and alerts Today lists at most.
const TODAY_LIMIT: u32 = 200;
/// History lines an account shows.
const HISTORY_SHOWN: u32 = 200;

/// When and by whom: today, now, `ui:<email>`.
pub fn stamp(planner: &Planner, session: &Session) -> ChangeStamp {
    let now = chrono::Utc::now();
    ChangeStamp {
        today: today(planner),
        now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        origin: session.origin(),
    }
}

fn fail(lang: Lang) -> impl Fn(relance_engine::store::StoreError) -> Failed {
    move |e| Failed(UiError::from(e), lang)
}

/// `?msg=saved` after a form: the page says it was done.
#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    /// A message key.
    #[serde(default)]
    msg: Option<String>,
}

fn flash(page: &mut Page, flash: &Flash) {
    if flash.msg.as_deref() == Some("saved") {
        let text = page.lang.text("saved");
        page.insert("flash", text);
    }
}

/// A review as listed.
#[derive(Debug, Serialize)]
struct ReviewRow {
    id: i64,
    account: String,
    scenario: String,
    step: String,
    run_date: String,
    why: String,
}

impl From<actions::ActionRow> for ReviewRow {
    fn from(r: actions::ActionRow) -> Self {
        let why = serde_json::from_str::<serde_json::Value>(&r.payload)
            .ok()
            .and_then(|p| p.get("why").and_then(|w| w.as_str()).map(str::to_string))
            .unwrap_or_default();
        ReviewRow {
            id: r.id,
            account: r.account,
            scenario: r.scenario,
            step: r.step,
            run_date: r.run_date,
            why,
        }
    }
}

/// An alert as listed.
#[derive(Debug, Serialize)]
struct AlertRow {
    account: String,
    alert: String,
    item: String,
    level: String,
    raised_on: String,
    detail: String,
}

/// `GET /ui/`: my open tasks, the reviews and the alerts of my accounts.
pub async fn today_page(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(lang): Extension<Lang>,
    Query(query): Query<Flash>,
) -> Answer {
    let planner = state.planner();
    let date = today(&planner);
    let mut tx = state.store().begin().await.map_err(fail(lang))?;
    let mine = customers::accounts_of(&mut tx, &session.email)
        .await
        .map_err(fail(lang))?;
    let reviews = actions::in_state_on(&mut tx, approve::WAITING_REVIEW, &mine, TODAY_LIMIT)
        .await
        .map_err(fail(lang))?;
    let open = alerts::open_on(&mut tx, &mine, TODAY_LIMIT)
        .await
        .map_err(fail(lang))?;
    tx.rollback().await.map_err(fail(lang))?;
    let tasks: Vec<super::tasks::TaskRow> = super::tasks::mine(&state, &session.email, date)
        .await
        .map_err(fail(lang))?;
    let mut page = Page::signed_in(lang, &session, lang.text("today"), "today");
    flash(&mut page, &query);
    page.insert("date", &Format::of(lang.code()).long_date(date));
    page.insert("tasks", &tasks);
    page.insert(
        "reviews",
        &reviews.into_iter().map(ReviewRow::from).collect::<Vec<_>>(),
    );
    page.insert(
        "alerts",
        &open
            .into_iter()
            .map(|a| AlertRow {
                account: a.account,
                alert: a.alert,
                item: a.item,
                level: a.level,
                raised_on: a.raised_on,
                detail: a.detail,
            })
            .collect::<Vec<_>>(),
    );
    Ok(view::render("today.html", &page, StatusCode::OK))
}

/// The search form of Accounts.
#[derive(Debug, Default, Deserialize)]
pub struct Search {
    /// Code or name.
    #[serde(default)]
    q: String,
    /// Colleague's email.
    #[serde(default)]
    colleague: String,
    /// Scenario.
    #[serde(default)]
    scenario: String,
    /// Open alert.
    #[serde(default)]
    alert: String,
}

/// An account as Accounts lists it.
#[derive(Debug, Serialize)]
struct AccountRow {
    code: String,
    name: String,
    scenario: String,
    overdue: String,
    alerts: usize,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// `GET /ui/accounts`: accounts by code or name, colleague, scenario, alert.
pub async fn accounts_page(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(lang): Extension<Lang>,
    Query(search): Query<Search>,
) -> Answer {
    let planner = state.planner();
    let date = today(&planner);
    let format = Format::of(lang.code());
    let mut tx = state.store().begin().await.map_err(fail(lang))?;
    let found = customers::search_accounts(
        &mut tx,
        &AccountSearch {
            text: some(&search.q),
            colleague: some(&search.colleague),
            alert: some(&search.alert),
            limit: SEARCHED,
        },
    )
    .await
    .map_err(fail(lang))?;
    let codes: Vec<String> = found.iter().map(|(c, _)| c.clone()).collect();
    let read = facts::accounts(&mut tx, &codes).await.map_err(fail(lang))?;
    let colleagues = customers::colleagues(&mut tx).await.map_err(fail(lang))?;
    let alert_names = alerts::open_names(&mut tx).await.map_err(fail(lang))?;
    tx.rollback().await.map_err(fail(lang))?;
    let wanted = some(&search.scenario);
    let mut rows = Vec::new();
    for f in read {
        let account = Account::from_facts(f);
        let plan = planner.plan_account(&account, date);
        let scenario = plan.scenario.clone().unwrap_or_default();
        if wanted.as_ref().is_some_and(|w| *w != scenario) {
            continue;
        }
        let overdue = plan.amounts.map_or(String::new(), |(overdue, _)| {
            format.money(overdue.minor, overdue.currency.as_str())
        });
        rows.push(AccountRow {
            code: account.code.to_string(),
            name: plan.name.clone(),
            scenario,
            overdue,
            alerts: plan.alerts.len(),
        });
        if rows.len() == SHOWN {
            break;
        }
    }
    let scenarios: Vec<&String> = planner.config.scenarios.keys().collect();
    let mut page = Page::signed_in(lang, &session, lang.text("accounts"), "accounts");
    page.insert("q", &search.q);
    page.insert("colleague", &search.colleague);
    page.insert("scenario", &search.scenario);
    page.insert("alert", &search.alert);
    page.insert(
        "colleagues",
        &colleagues
            .iter()
            .map(|c| BTreeMap::from([("email", &c.email), ("name", &c.name)]))
            .collect::<Vec<_>>(),
    );
    page.insert("scenarios", &scenarios);
    page.insert("alert_names", &alert_names);
    page.insert("rows", &rows);
    Ok(view::render("accounts.html", &page, StatusCode::OK))
}

/// An item of the statement as the Account page shows it.
#[derive(Debug, Serialize)]
struct ItemRow {
    anchor: String,
    customer: String,
    reference: String,
    kind: String,
    due: String,
    days: i64,
    remaining: String,
    status: String,
    promise_date: String,
    comment: String,
    held: bool,
}

/// A customer's part of the statement.
#[derive(Debug, Serialize)]
struct GroupRow {
    customer: String,
    name: String,
    items: Vec<ItemRow>,
    subtotal: String,
}

fn money_text(format: &Format, m: &relance_engine::money::Money) -> String {
    format.money(m.minor, m.currency.as_str())
}

fn groups(statement: &Statement, format: &Format) -> Vec<GroupRow> {
    statement
        .groups
        .iter()
        .map(|g| GroupRow {
            customer: g.customer.clone(),
            name: g.name.clone(),
            items: g
                .items
                .iter()
                .map(|i| ItemRow {
                    anchor: format!("{}-{}", i.customer, i.reference)
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                        .collect(),
                    customer: i.customer.clone(),
                    reference: i.reference.clone(),
                    kind: i.kind.clone(),
                    due: format.short_date(i.due_date),
                    days: i.days_overdue,
                    remaining: money_text(format, &i.remaining),
                    status: i.status.clone().unwrap_or_default(),
                    promise_date: i
                        .promise_date
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    comment: i.comment.clone().unwrap_or_default(),
                    held: i.held,
                })
                .collect(),
            subtotal: g
                .subtotals
                .values()
                .map(|m| money_text(format, m))
                .collect::<Vec<_>>()
                .join(" + "),
        })
        .collect()
}

fn reason_text(lang: Lang, reason: Option<&ScenarioReason>, format: &Format) -> String {
    match reason {
        None => lang.text("reason_skipped").into(),
        Some(ScenarioReason::Named) => lang.text("reason_named").into(),
        Some(ScenarioReason::Switched(on)) => {
            format!("{} {}", lang.text("reason_switched"), format.long_date(*on))
        }
        Some(ScenarioReason::Rule(rule)) => format!("{} {rule}", lang.text("reason_rule")),
        Some(ScenarioReason::Default) => lang.text("reason_default").into(),
    }
}

/// A history line in words: the fields that say what happened for the
/// kinds people act on (a note's text, a status and its date, a task's
/// outcome, a delivery's reply...), else every field, `key: value`.
fn details(kind: &str, data: &serde_json::Value) -> String {
    let field = |k: &str| match data.get(k) {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(serde_json::Value::Null) | None => None,
        Some(serde_json::Value::String(_)) => None,
        Some(other) => Some(other.to_string()),
    };
    let keys: &[&str] = match kind {
        "account_note" => &["note"],
        "action_recorded" | "action_approved" => &["scenario", "step"],
        "action_rejected" => &["step", "reason"],
        "delivery_attempt" => &["outcome", "reply"],
        "alert_raised" | "alert_resolved" => &["alert", "level", "detail"],
        "escalation" => &["escalation", "switch"],
        "status_set" => &["status", "promise_date", "comment"],
        "status_cleared" => &["previous", "comment"],
        "task_opened" => &["kind", "assignee", "note"],
        "task_done" | "task_cancelled" => &["kind", "outcome", "promise_date", "note"],
        _ => &[],
    };
    let picked: Vec<String> = keys.iter().filter_map(|k| field(k)).collect();
    if !picked.is_empty() {
        return picked.join(" · ");
    }
    match data {
        serde_json::Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(" · "),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `GET /ui/accounts/{code}`: facts and why the scenario applies, open
/// alerts, tasks, reviews, the statement split by member with each item's
/// status, and the timeline.
pub async fn account_page(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(lang): Extension<Lang>,
    Path(code): Path<String>,
    Query(query): Query<Flash>,
) -> Answer {
    let planner = state.planner();
    let date = today(&planner);
    let format = Format::of(lang.code());
    let f = load(state.store(), &code)
        .await
        .map_err(|e| Failed(UiError::NotFound(e.to_string()), lang))?;
    let members: Vec<String> = f.customers.iter().map(|c| c.code.clone()).collect();
    let mut tx = state.store().begin().await.map_err(fail(lang))?;
    let lines = history::latest_history(&mut tx, &members, HISTORY_SHOWN)
        .await
        .map_err(fail(lang))?;
    let reviews = actions::list(
        &mut tx,
        &ActionFilter {
            state: Some(approve::WAITING_REVIEW.into()),
            account: Some(code.clone()),
            run_date: None,
            after: 0,
            limit: 100,
        },
    )
    .await
    .map_err(fail(lang))?;
    tx.rollback().await.map_err(fail(lang))?;
    let account = Account::from_facts(f.clone());
    let reason = planner.scenario_reason(&account, date);
    let statement = statement(&planner, &account, date);
    let view = account_view(&planner, f, lines, date);
    let tasks = super::tasks::of_account(&state, &code)
        .await
        .map_err(fail(lang))?;
    let facts_shown = [
        ("total_due", money_text(&format, &view.facts.total_due)),
        (
            "overdue_amount",
            money_text(&format, &view.facts.overdue_amount),
        ),
        ("balance", money_text(&format, &view.facts.balance)),
        ("max_days_overdue", view.facts.max_days_overdue.to_string()),
        (
            "disputed_amount",
            money_text(&format, &view.facts.disputed_amount),
        ),
        (
            "promised_amount",
            money_text(&format, &view.facts.promised_amount),
        ),
        (
            "last_action",
            match (&view.facts.last_action_date, &view.facts.last_action_step) {
                (Some(d), Some(s)) => format!("{s} · {}", format.short_date(*d)),
                _ => "—".into(),
            },
        ),
        ("members", view.facts.members_count.to_string()),
    ];
    let mut page = Page::signed_in(
        lang,
        &session,
        &format!("{} {}", view.code, view.name),
        "accounts",
    );
    flash(&mut page, &query);
    page.insert(
        "account",
        &BTreeMap::from([
            ("code", view.code.clone()),
            ("name", view.name.clone()),
            (
                "scenario",
                view.scenario.clone().unwrap_or_else(|| "—".into()),
            ),
            (
                "reason",
                reason_text(lang, reason.as_ref().map(|(_, r)| r), &format),
            ),
        ]),
    );
    page.insert(
        "facts",
        &facts_shown
            .iter()
            .map(|(k, v)| {
                BTreeMap::from([("label", lang.text(k).to_string()), ("value", v.clone())])
            })
            .collect::<Vec<_>>(),
    );
    page.insert(
        "alerts",
        &view
            .alerts
            .iter()
            .map(|a| {
                BTreeMap::from([
                    ("alert", a.alert.clone()),
                    ("item", a.item.clone().unwrap_or_default()),
                    ("level", a.level.clone()),
                    ("why", a.why.clone()),
                ])
            })
            .collect::<Vec<_>>(),
    );
    page.insert("tasks", &tasks);
    page.insert("outcomes", &super::tasks::outcomes(lang));
    page.insert(
        "reviews",
        &reviews.into_iter().map(ReviewRow::from).collect::<Vec<_>>(),
    );
    page.insert("groups", &groups(&statement, &format));
    page.insert(
        "total",
        &statement
            .total
            .map_or_else(|| "—".into(), |m| money_text(&format, &m)),
    );
    let statuses: BTreeSet<&String> = planner.config.statuses.keys().collect();
    page.insert("statuses", &statuses);
    page.insert(
        "history",
        &view
            .history
            .iter()
            .map(|h| {
                BTreeMap::from([
                    (
                        "at",
                        h.at.replace('T', " ").trim_end_matches('Z').to_string(),
                    ),
                    ("kind", h.kind.clone()),
                    ("what", lang.event(&h.kind)),
                    ("item", h.reference.clone().unwrap_or_default()),
                    ("origin", h.origin.clone()),
                    ("details", details(&h.kind, &h.data)),
                ])
            })
            .collect::<Vec<_>>(),
    );
    Ok(view::render("account.html", &page, StatusCode::OK))
}

/// Back to an account's page, saying it was saved.
pub(super) fn back_to(account: &str, anchor: &str) -> Response {
    let code = serde_urlencoded::to_string([("c", account)]).unwrap_or_default();
    let code = code.trim_start_matches("c=");
    Redirect::to(&format!("/ui/accounts/{code}?msg=saved{anchor}")).into_response()
}

/// The qualify form of an item.
#[derive(Debug, Deserialize)]
pub struct Qualify {
    /// A status of the configuration.
    #[serde(default)]
    status: String,
    /// `YYYY-MM-DD` or empty.
    #[serde(default)]
    promise_date: String,
    /// Free text.
    #[serde(default)]
    comment: String,
    /// Present: clear the status instead.
    #[serde(default)]
    clear: Option<String>,
}

/// A date of a form, empty as none.
pub(super) fn form_date(value: &str) -> Result<Option<NaiveDate>, UiError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| UiError::BadRequest(format!("\"{v}\" is not a date (YYYY-MM-DD)")))
}

fn status_failure(e: StatusError) -> UiError {
    match e {
        StatusError::Store(e) => e.into(),
        StatusError::UnknownItem(_) => UiError::NotFound(e.to_string()),
        other => UiError::BadRequest(other.to_string()),
    }
}

/// `POST /ui/items/{customer}/{reference}/status`: set or clear a status.
pub async fn qualify(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(lang): Extension<Lang>,
    Path((customer, reference)): Path<(String, String)>,
    Form(form): Form<Qualify>,
) -> Answer {
    let planner = state.planner();
    let stamp = stamp(&planner, &session);
    let comment = some(&form.comment);
    if comment.as_ref().is_some_and(|c| c.len() > notes::MAX_NOTE) {
        return Err(Failed(
            UiError::BadRequest("too long a comment".into()),
            lang,
        ));
    }
    let item = (customer.as_str(), reference.as_str());
    let done = if form.clear.is_some() {
        status::clear(state.store(), item, comment.as_deref(), &stamp).await
    } else {
        let promise_date = form_date(&form.promise_date).map_err(|e| Failed(e, lang))?;
        let new = NewStatus {
            status: form.status.trim().to_string(),
            promise_date,
            comment,
        };
        status::set(state.store(), &planner.config, item, &new, &stamp).await
    };
    done.map_err(|e| Failed(status_failure(e), lang))?;
    let account = leader_of(&state, &customer).await.map_err(fail(lang))?;
    Ok(back_to(&account, "#statement"))
}

/// The account a customer is collected in (its leader, or itself).
async fn leader_of(
    state: &AppState,
    customer: &str,
) -> Result<String, relance_engine::store::StoreError> {
    let mut tx = state.store().begin().await?;
    let leader = customers::group_leader(&mut tx, customer).await?;
    tx.rollback().await?;
    Ok(leader.flatten().unwrap_or_else(|| customer.to_string()))
}

fn decision_failure(e: ApproveError) -> UiError {
    match e {
        ApproveError::Store(e) => e.into(),
        ApproveError::Unknown(_) => UiError::NotFound(e.to_string()),
        other => UiError::BadRequest(other.to_string()),
    }
}

/// `POST /ui/actions/{id}/approve`.
pub async fn approve_action(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(lang): Extension<Lang>,
    Path(id): Path<i64>,
) -> Answer {
    let planner = state.planner();
    let stamp = stamp(&planner, &session);
    let done = approve::approve(state.store(), &[id], &stamp)
        .await
        .map_err(|e| Failed(decision_failure(e), lang))?;
    let account = done.first().map(|a| a.account.clone()).unwrap_or_default();
    Ok(back_to(&account, "#reviews"))
}

/// The reject form.
#[derive(Debug, Deserialize)]
pub struct Reject {
    /// Why (kept in the history).
    #[serde(default)]
    reason: String,
}

/// `POST /ui/actions/{id}/reject`.
pub async fn reject_action(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(lang): Extension<Lang>,
    Path(id): Path<i64>,
    Form(form): Form<Reject>,
) -> Answer {
    let planner = state.planner();
    let stamp = stamp(&planner, &session);
    let done = approve::reject(state.store(), &[id], form.reason.trim(), &stamp)
        .await
        .map_err(|e| Failed(decision_failure(e), lang))?;
    let account = done.first().map(|a| a.account.clone()).unwrap_or_default();
    Ok(back_to(&account, "#reviews"))
}

/// The note form.
#[derive(Debug, Deserialize)]
pub struct Note {
    /// The text.
    #[serde(default)]
    note: String,
}

/// `POST /ui/accounts/{code}/notes`: an `account_note` in the history.
pub async fn add_note(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(lang): Extension<Lang>,
    Path(code): Path<String>,
    Form(form): Form<Note>,
) -> Answer {
    let planner = state.planner();
    let stamp = stamp(&planner, &session);
    notes::add(state.store(), &code, &form.note, &stamp)
        .await
        .map_err(|e| {
            Failed(
                match e {
                    NoteError::Store(e) => e.into(),
                    NoteError::UnknownAccount(_) => UiError::NotFound(e.to_string()),
                    NoteError::Text => UiError::BadRequest(e.to_string()),
                },
                lang,
            )
        })?;
    Ok(back_to(&code, "#timeline"))
}
