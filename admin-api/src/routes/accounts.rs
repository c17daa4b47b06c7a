//! `GET /accounts/{code}` and `GET /accounts/{code}/statement`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use relance_engine::money::Money;
use relance_engine::planner::account::{Account, AccountFigures, ItemType};
use relance_engine::planner::{AccountPlan, Planner};
use relance_engine::store::facts::{self, AccountFacts, ColleagueFacts, ContactFacts};
use relance_engine::store::{Store, customers, history};
use relance_worker::render::Composer;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::{amount, date_or_today};
use crate::state::AppState;

/// History lines shown with an account, newest first.
const HISTORY_SHOWN: u32 = 200;

/// Reads a collection account, or says why there is none.
pub(crate) async fn load(store: &Store, code: &str) -> Result<AccountFacts, AppError> {
    let mut tx = store.begin().await?;
    let mut found = facts::accounts(&mut tx, &[code.to_string()]).await?;
    let leader = if found.is_empty() {
        customers::group_leader(&mut tx, code).await?
    } else {
        None
    };
    tx.rollback().await?;
    match (found.pop(), leader) {
        (Some(f), _) => Ok(f),
        (None, Some(Some(leader))) => Err(AppError::NotFound(format!(
            "customer {code} is collected through its group leader {leader}: see /accounts/{leader}"
        ))),
        (None, _) => Err(AppError::NotFound(format!("no customer {code}"))),
    }
}

/// `?date=`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateQuery {
    /// The date the figures are computed on (YYYY-MM-DD, default today).
    #[param(format = Date)]
    pub date: Option<String>,
}

/// An account with everything an operator looks at.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    /// The leader's code.
    pub code: String,
    /// The leader's name.
    pub name: String,
    /// The date of the figures.
    pub date: NaiveDate,
    /// The scenario the account is in on that date (`null`: skipped, see `missing_rates`).
    pub scenario: Option<String>,
    /// The `account.*` facts, amounts in the platform currency.
    pub facts: FactsView,
    /// Currencies of open items with no rate to the platform currency.
    pub missing_rates: Vec<String>,
    /// The leader first, then its grouped members.
    pub customers: Vec<CustomerView>,
    /// The leader's contacts.
    pub contacts: Vec<ContactView>,
    /// The leader's colleagues.
    pub colleagues: Vec<ColleagueView>,
    /// Open items of the leader and its members.
    pub items: Vec<ItemView>,
    /// Alerts the planner finds holding on that date.
    pub alerts: Vec<AlertHolding>,
    /// The latest history lines (at most 200), newest first.
    pub history: Vec<HistoryView>,
}

/// The `account.*` facts of docs/reference/planning.md.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FactsView {
    /// Platform currency.
    pub currency: String,
    /// Sum of remaining of open debit items.
    #[schema(value_type = f64)]
    pub total_due: Money,
    /// Same, due before the date.
    #[schema(value_type = f64)]
    pub overdue_amount: Money,
    /// Debits minus credits and payments.
    #[schema(value_type = f64)]
    pub balance: Money,
    /// Days overdue of the most overdue debit item.
    pub max_days_overdue: i64,
    /// Earliest due date of open debit items.
    pub oldest_due_date: Option<NaiveDate>,
    /// Open debit items.
    pub open_items_count: usize,
    /// Open debit items due before the date.
    pub overdue_items_count: usize,
    /// Remaining of items in dispute.
    #[schema(value_type = f64)]
    pub disputed_amount: Money,
    /// Remaining of items with a promise to pay.
    #[schema(value_type = f64)]
    pub promised_amount: Money,
    /// The last recorded action's run date.
    pub last_action_date: Option<NaiveDate>,
    /// The last recorded action's step.
    pub last_action_step: Option<String>,
    /// Grouped members.
    pub members_count: usize,
}

/// A customer of the account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerView {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Language.
    pub language: Option<String>,
    /// Timezone.
    pub timezone: Option<String>,
    /// Explicit scenario.
    pub scenario: Option<String>,
    /// Its group leader (members).
    pub group_leader: Option<String>,
    /// Credit limit, major units of `currency`.
    #[schema(value_type = Option<f64>)]
    pub credit_limit: Option<Money>,
    /// Currency.
    pub currency: Option<String>,
    /// Custom fields.
    #[schema(value_type = Object)]
    pub custom: serde_json::Value,
}

/// A contact.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    /// Address.
    pub email: String,
    /// Name.
    pub name: Option<String>,
    /// Role.
    pub role: String,
    /// Language.
    pub language: Option<String>,
}

impl From<ContactFacts> for ContactView {
    fn from(c: ContactFacts) -> Self {
        ContactView {
            email: c.email,
            name: c.name,
            role: c.role,
            language: c.language,
        }
    }
}

/// A colleague.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ColleagueView {
    /// Role for this account.
    pub role: String,
    /// Address.
    pub email: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
}

impl From<ColleagueFacts> for ColleagueView {
    fn from(c: ColleagueFacts) -> Self {
        ColleagueView {
            role: c.role,
            email: c.email,
            name: c.name,
            phone: c.phone,
        }
    }
}

/// An open item.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    /// Its customer.
    pub customer: String,
    /// Reference.
    pub reference: String,
    /// `invoice`, `debit_note`, `credit_note`, `payment`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Issue date.
    pub issue_date: Option<NaiveDate>,
    /// Due date.
    pub due_date: NaiveDate,
    /// Days past the due date on the date (negative: not due yet).
    pub days_overdue: i64,
    /// Amount, major units, signed: credits and payments are negative.
    #[schema(value_type = f64)]
    pub amount: Money,
    /// Remaining, major units, signed like `amount`.
    #[schema(value_type = f64)]
    pub remaining: Money,
    /// Currency.
    pub currency: String,
    /// Status.
    pub status: Option<String>,
    /// Since when.
    pub status_since: Option<NaiveDate>,
    /// Promised payment date.
    pub promise_date: Option<NaiveDate>,
    /// Comment.
    pub comment: Option<String>,
    /// Last step reached, per scenario.
    #[schema(value_type = Object)]
    pub last_steps: BTreeMap<String, String>,
    /// Not asked to be paid on the date: its status excludes it, or
    /// suspends it then, as the planner decides. A statement lists it and
    /// counts it in no subtotal or total, as the emails do.
    pub held: bool,
}

/// An alert holding on the date.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertHolding {
    /// The alert's name.
    pub alert: String,
    /// The item's reference, `null` for account alerts.
    pub item: Option<String>,
    /// `low`, `medium`, `high`.
    pub level: String,
    /// Why.
    pub why: String,
}

/// A history line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryView {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// `action_recorded`, `status_set`, `import`...
    pub kind: String,
    /// The customer.
    pub customer: Option<String>,
    /// The item's reference.
    pub reference: Option<String>,
    /// Who or what (`run:12`, `api:ci`, `cli`).
    pub origin: String,
    /// Details.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// Signed like the statement: credits and payments negative.
fn signed(kind: ItemType, m: Money) -> Money {
    if kind.is_debit() { m } else { -m }
}

fn item_view(
    item: &relance_engine::planner::account::Item,
    date: NaiveDate,
    held: bool,
) -> ItemView {
    ItemView {
        held,
        customer: item.customer.clone(),
        reference: item.reference.clone(),
        kind: item.kind.as_str().to_string(),
        issue_date: item.issue_date,
        due_date: item.due_date,
        days_overdue: (date - item.due_date).num_days(),
        amount: signed(item.kind, amount(item.amount, &item.currency)),
        remaining: signed(item.kind, amount(item.remaining, &item.currency)),
        currency: item.currency.clone(),
        status: item.status.clone(),
        status_since: item.status_since,
        promise_date: item.promise_date,
        comment: item.comment.clone(),
        last_steps: item.steps.iter().cloned().collect(),
    }
}

/// Currencies of the account's items that do not convert.
fn missing_rates(planner: &Planner, account: &Account) -> Vec<String> {
    let mut missing: Vec<String> = account
        .items
        .iter()
        .filter(|i| planner.rate(&i.currency).is_none())
        .map(|i| i.currency.clone())
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

/// `GET /accounts/{code}`.
#[utoipa::path(
    get,
    path = "/accounts/{code}",
    params(("code" = String, Path, description = "The account's (leader's) code"), DateQuery),
    responses(
        (status = 200, body = AccountView),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "accounts"
)]
pub async fn show(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<DateQuery>,
) -> Result<Json<AccountView>, AppError> {
    let planner = state.planner();
    let date = date_or_today(&planner, query.date.as_deref())?;
    let f = load(state.store(), &code).await?;
    let customers: Vec<String> = f.customers.iter().map(|c| c.code.clone()).collect();
    let mut tx = state.store().begin().await?;
    let history = history::latest_history(&mut tx, &customers, HISTORY_SHOWN).await?;
    tx.rollback().await?;
    Ok(Json(account_view(&planner, f, history, date)))
}

/// An account with everything an operator looks at, from its facts and
/// its latest history (the API's `GET /accounts/{code}` and the workspace's
/// Account page).
pub(crate) fn account_view(
    planner: &Planner,
    f: AccountFacts,
    history: Vec<history::HistoryEvent>,
    date: NaiveDate,
) -> AccountView {
    let contacts = f.contacts.clone();
    let colleagues = f.colleagues.clone();
    let account = Account::from_facts(f);
    let missing = missing_rates(planner, &account);
    let plan: AccountPlan = planner.plan_account(&account, date);
    let settings = &planner.config.settings;
    // The planner's figures; with a rate missing, none (the planner skips
    // such an account too).
    let summary = if missing.is_empty() {
        planner.figures(&account, date)
    } else {
        AccountFigures::none(&account, planner.currency())
    };
    let c = &settings.currency;
    let facts = FactsView {
        currency: c.clone(),
        total_due: summary.total_due,
        overdue_amount: summary.overdue_amount,
        balance: summary.balance,
        max_days_overdue: summary.max_days_overdue,
        oldest_due_date: summary.oldest_due_date,
        open_items_count: summary.open_items_count,
        overdue_items_count: summary.overdue_items_count,
        disputed_amount: summary.disputed_amount,
        promised_amount: summary.promised_amount,
        last_action_date: account.last_action.as_ref().map(|(d, _)| *d),
        last_action_step: account.last_action.as_ref().map(|(_, s)| s.clone()),
        members_count: account.customers.len().saturating_sub(1),
    };
    let leader = account.customers.first();
    AccountView {
        code: account.code.to_string(),
        name: leader.map(|c| c.facts.name.clone()).unwrap_or_default(),
        date,
        scenario: plan.scenario.clone(),
        facts,
        missing_rates: missing,
        customers: account
            .customers
            .iter()
            .map(|c| CustomerView {
                code: c.facts.code.clone(),
                name: c.facts.name.clone(),
                language: c.facts.language.clone(),
                timezone: c.facts.timezone.clone(),
                scenario: c.facts.scenario.clone(),
                group_leader: c.facts.group_leader.clone(),
                credit_limit: c.facts.credit_limit.map(|l| {
                    amount(
                        l,
                        c.facts
                            .currency
                            .as_deref()
                            .unwrap_or(settings.currency.as_str()),
                    )
                }),
                currency: c.facts.currency.clone(),
                custom: serde_json::Value::Object(c.custom.clone()),
            })
            .collect(),
        contacts: contacts.into_iter().map(ContactView::from).collect(),
        colleagues: colleagues.into_iter().map(ColleagueView::from).collect(),
        items: {
            let held = planner.held(&account, None, date);
            account
                .items
                .iter()
                .zip(held)
                .map(|(i, held)| item_view(i, date, held))
                .collect()
        },
        alerts: plan
            .alerts
            .iter()
            .map(|a| AlertHolding {
                alert: a.alert.clone(),
                item: a.item.as_ref().map(|k| k.reference.clone()),
                level: a.level.as_str().to_string(),
                why: a.why.clone(),
            })
            .collect(),
        history: history
            .into_iter()
            .map(|h| HistoryView {
                at: h.at,
                kind: h.kind,
                customer: h.customer,
                reference: h.reference,
                origin: h.origin,
                data: serde_json::from_str(&h.data).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
    }
}

/// `?format=&date=` of the statement.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// `json` (default), `html` or `pdf`.
    #[param(inline, value_type = Option<StatementFormat>)]
    pub format: Option<String>,
    /// The statement's date (YYYY-MM-DD, default today).
    #[param(format = Date)]
    pub date: Option<String>,
    /// The language of the HTML or PDF statement (default: the customer's, else the settings').
    pub lang: Option<String>,
}

/// The formats of a statement.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatementFormat {
    /// JSON.
    Json,
    /// An HTML page.
    Html,
    /// A PDF file, the one `attach statement` sends.
    Pdf,
}

/// An account statement: open items grouped by customer (the leader, then
/// each grouped member), with subtotals per customer and totals.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Statement {
    /// The account.
    pub account: String,
    /// The leader's name.
    pub name: String,
    /// The date.
    pub date: NaiveDate,
    /// One group per customer with open items.
    pub groups: Vec<StatementGroup>,
    /// Totals per currency (signed: credits reduce them).
    #[schema(value_type = Object)]
    pub totals: BTreeMap<String, Money>,
    /// The whole, in the platform currency: each item converted and
    /// rounded once, as in the account's facts and the emails (`null` when
    /// a currency has no rate).
    #[schema(value_type = Option<f64>)]
    pub total: Option<Money>,
    /// The platform currency.
    pub currency: String,
}

/// The open items of one customer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatementGroup {
    /// The customer.
    pub customer: String,
    /// Its name.
    pub name: String,
    /// Its open items, by due date.
    pub items: Vec<ItemView>,
    /// Subtotals per currency.
    #[schema(value_type = Object)]
    pub subtotals: BTreeMap<String, Money>,
}

/// The statement of an account on a date (also the workspace's).
pub(crate) fn statement(planner: &Planner, account: &Account, date: NaiveDate) -> Statement {
    let mut groups = Vec::new();
    let mut totals: BTreeMap<String, Money> = BTreeMap::new();
    let platform = planner.currency();
    let mut total = Some(Money::zero(platform));
    let held = planner.held(account, None, date);
    for customer in &account.customers {
        let mut items: Vec<(&relance_engine::planner::account::Item, bool)> = account
            .items
            .iter()
            .zip(held.iter().copied())
            .filter(|(i, _)| i.customer == customer.facts.code)
            .collect();
        if items.is_empty() {
            continue;
        }
        items.sort_by(|(a, _), (b, _)| (a.due_date, &a.reference).cmp(&(b.due_date, &b.reference)));
        let mut subtotals: BTreeMap<String, i64> = BTreeMap::new();
        for (i, held) in &items {
            if *held {
                continue;
            }
            let signed = if i.kind.is_debit() {
                i.remaining
            } else {
                -i.remaining
            };
            *subtotals.entry(i.currency.clone()).or_default() += signed;
            total = total.and_then(|t| Some(t + planner.convert(signed, &i.currency, platform)?));
        }
        let subtotals: BTreeMap<String, Money> = subtotals
            .into_iter()
            .map(|(c, minor)| {
                let v = amount(minor, &c);
                totals.entry(c.clone()).and_modify(|t| *t += v).or_insert(v);
                (c, v)
            })
            .collect();
        groups.push(StatementGroup {
            customer: customer.facts.code.clone(),
            name: customer.facts.name.clone(),
            items: items
                .iter()
                .map(|(i, held)| item_view(i, date, *held))
                .collect(),
            subtotals,
        });
    }
    let currency = planner.config.settings.currency.clone();
    Statement {
        account: account.code.to_string(),
        name: account
            .customers
            .first()
            .map(|c| c.facts.name.clone())
            .unwrap_or_default(),
        date,
        groups,
        totals,
        total,
        currency,
    }
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `GET /accounts/{code}/statement`.
#[utoipa::path(
    get,
    path = "/accounts/{code}/statement",
    params(("code" = String, Path, description = "The account's (leader's) code"), StatementQuery),
    responses(
        (status = 200, description = "The statement (JSON, an HTML page with format=html, a PDF file with format=pdf)",
         content((Statement = "application/json"), (String = "text/html"), (Vec<u8> = "application/pdf"))),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "accounts"
)]
pub async fn statement_route(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> Result<Response, AppError> {
    let format = match query.format.as_deref() {
        None | Some("json") => StatementFormat::Json,
        Some("html") => StatementFormat::Html,
        Some("pdf") => StatementFormat::Pdf,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "format \"{other}\" is not a statement format (json, html, pdf)"
            )));
        }
    };
    let planner = state.planner();
    let date = date_or_today(&planner, query.date.as_deref())?;
    let f = load(state.store(), &code).await?;
    let account = Account::from_facts(f);
    if let StatementFormat::Json = format {
        return Ok(Json(statement(&planner, &account, date)).into_response());
    }
    // The templates' statement: split by member for a grouped account, in
    // the customer's language, as a printable page or a PDF file.
    let composer = Composer::shared(planner, state.templates()).map_err(AppError::internal)?;
    let lang = query.lang.as_deref();
    Ok(match format {
        StatementFormat::Pdf => {
            let pdf = composer.statement_pdf(&account, date, lang);
            ([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response()
        }
        _ => {
            let page = composer.statement(&account, date, lang).letter_page();
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
        }
    })
}
