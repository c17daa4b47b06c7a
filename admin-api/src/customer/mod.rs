//! The customer page (docs/reference/customer-page.md): `GET /c/{account}`
//! opened from a signed, expiring link (`#interactive_link`), no account
//! or token. It shows the statement in the customer's language, the files
//! shared with them, and three answers posted to `/c/{account}/promise`,
//! `/dispute` and `/paid`, which [`relance_engine::answers`] checks and
//! records with history origin `customer`.
//!
//! Every request is rate limited ([`limit`]) per client address and per
//! account before anything else; every form carries the link's `exp` and
//! `sig` (verified again) and a double-submit CSRF token (a cookie scoped
//! to `/c/` and the same value in the form, compared in constant time).
//! Pages work without JavaScript (none is allowed by their CSP).
//!
//! # Layout
//! - [`limit`]: the fixed-window rate limiter.
//! - [`words`]: the page's words in English and French.
//! - `html`: the pages.

mod html;
pub mod limit;
pub mod words;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use relance_engine::answers::{self, Answer, Invalid};
use relance_engine::files::{self, Upload};
use relance_engine::links::{self, LinkError};
use relance_engine::planner::account::Account;
use relance_engine::status::ChangeStamp;
use relance_engine::store::facts;
use relance_worker::render::Composer;
use serde::Deserialize;

use crate::routes::today;
use crate::state::AppState;
use crate::ui::csrf;
use crate::ui::session::cookie;
use html::{Choice, PageView, Problem, SharedFile};
use words::Lang;

/// The double-submit cookie of the customer page's forms.
pub const COOKIE: &str = "relance_page";
/// How long the form cookie lives.
const COOKIE_AGE: i64 = 12 * 3600;

/// The client's address, put into each request by [`crate::serve`] (the
/// rate limit's key; absent in in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

/// The customer page's routes (outside the bearer-token middleware: the
/// link's signature is the credential).
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/c/{account}", get(page))
        .route("/c/{account}/promise", post(promise))
        .route(
            "/c/{account}/dispute",
            post(dispute).layer(DefaultBodyLimit::max(crate::routes::files::UPLOAD_LIMIT)),
        )
        .route(
            "/c/{account}/paid",
            post(paid).layer(DefaultBodyLimit::max(crate::routes::files::UPLOAD_LIMIT)),
        )
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(middleware::from_fn_with_state(state, page_headers))
}

/// Headers of every customer page: no scripts, nothing from elsewhere, no
/// framing, no referrer (the address holds the link's signature), no caching.
/// A body over the upload limit, refused before any handler runs, gets a
/// page rather than the API's JSON error.
async fn page_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response = say(
            &state,
            Lang::En,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large_title",
            "too_large_text",
        );
    }
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Counts the request per client address and per account; past a limit,
/// a 429 page.
async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let account = request
        .uri()
        .path()
        .strip_prefix("/c/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
        .to_string();
    let client = request
        .extensions()
        .get::<ClientAddr>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.to_string());
    let posting = request.method() == axum::http::Method::POST;
    let (kind, per_account, per_client) = if posting {
        ("post", limit::POSTS_PER_ACCOUNT, limit::POSTS_PER_CLIENT)
    } else {
        ("get", limit::GETS_PER_ACCOUNT, limit::GETS_PER_CLIENT)
    };
    let keys = [
        (format!("{kind}|account|{account}"), per_account),
        (format!("{kind}|client|{client}"), per_client),
    ];
    if !state.page_limits().allow(&keys, Instant::now()) {
        tracing::warn!(account, client, "customer page rate limit reached");
        let mut response = say(
            &state,
            Lang::En,
            StatusCode::TOO_MANY_REQUESTS,
            "busy_title",
            "busy_text",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("600"));
        return response;
    }
    next.run(request).await
}

/// A page that says one thing.
fn say(state: &AppState, lang: Lang, status: StatusCode, title: &str, text: &str) -> Response {
    let company = state.planner().config.settings.company.clone();
    let page = html::notice(
        lang,
        company.as_deref().unwrap_or(""),
        lang.t(title),
        lang.t(text),
    );
    (status, Html(page)).into_response()
}

fn not_valid(state: &AppState) -> Response {
    say(
        state,
        Lang::En,
        StatusCode::NOT_FOUND,
        "invalid_title",
        "invalid_text",
    )
}

fn failed(state: &AppState, lang: Lang, cause: impl std::fmt::Display) -> Response {
    tracing::error!(error = %cause, "a customer page request failed");
    say(
        state,
        lang,
        StatusCode::INTERNAL_SERVER_ERROR,
        "error_title",
        "error_text",
    )
}

/// The account of a verified link and what the page needs of it.
struct Opened {
    /// The account.
    account: Account,
    /// Its customer's language.
    lang: Lang,
    /// `/c/{account}`, percent-encoded.
    path: String,
    /// The link's expiry.
    exp: i64,
    /// The link's signature.
    sig: String,
}

async fn load(state: &AppState, code: &str) -> Result<Option<Account>, Response> {
    let found = async {
        let mut tx = state.store().begin().await?;
        let found = facts::accounts(&mut tx, &[code.to_string()]).await?;
        tx.rollback().await?;
        Ok::<_, relance_engine::store::StoreError>(found)
    }
    .await;
    match found {
        Ok(mut f) => Ok(f.pop().map(Account::from_facts)),
        Err(e) => Err(failed(state, Lang::En, e)),
    }
}

fn language(state: &AppState, account: &Account) -> Lang {
    let settings = &state.planner().config.settings;
    let code = account
        .leader()
        .and_then(|c| c.facts.language.clone())
        .unwrap_or_else(|| settings.language.clone());
    Lang::of(Some(&code))
}

/// Verifies a link to `/c/{code}` and reads its account: 404 for a link
/// that is not valid (or no key, or no such account), 410 for an expired one.
async fn open(
    state: &AppState,
    code: &str,
    exp: Option<&str>,
    sig: Option<&str>,
) -> Result<Opened, Response> {
    let Some(signer) = state.files().and_then(|f| f.signer.as_ref()) else {
        return Err(not_valid(state));
    };
    let (Some(Ok(exp)), Some(sig)) = (exp.map(str::parse::<i64>), sig) else {
        return Err(not_valid(state));
    };
    let path = links::page_path(code);
    match signer.verify(&path, exp, sig, state.clock().now().timestamp()) {
        Ok(()) => {}
        Err(LinkError::Invalid) => return Err(not_valid(state)),
        Err(LinkError::Expired) => {
            let lang = match load(state, code).await? {
                Some(account) => language(state, &account),
                None => Lang::En,
            };
            return Err(say(
                state,
                lang,
                StatusCode::GONE,
                "expired_title",
                "expired_text",
            ));
        }
    }
    let Some(account) = load(state, code).await? else {
        return Err(not_valid(state));
    };
    let lang = language(state, &account);
    Ok(Opened {
        account,
        lang,
        path,
        exp,
        sig: sig.to_string(),
    })
}

/// Whether cookies should be `Secure`: the public address is https.
fn secure(state: &AppState) -> bool {
    public_url(state).starts_with("https://")
}

fn public_url(state: &AppState) -> String {
    state
        .files()
        .and_then(|f| f.public_url.clone())
        .or_else(|| state.planner().config.settings.public_url.clone())
        .unwrap_or_default()
}

fn set_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if secure(state) { "; Secure" } else { "" };
    let text = format!(
        "{COOKIE}={token}; Path=/c/; Max-Age={COOKIE_AGE}; HttpOnly; SameSite=Strict{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `?exp=&sig=&done=`.
#[derive(Debug, Default, Deserialize)]
pub struct LinkQuery {
    /// The link's expiry (Unix seconds).
    exp: Option<String>,
    /// Its signature.
    sig: Option<String>,
    /// The answer just recorded (`promise`, `dispute`, `paid`): the confirmation.
    done: Option<String>,
}

/// `GET /c/{account}?exp=…&sig=…`: the page, or the confirmation of an
/// answer (`&done=…`).
pub async fn page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<LinkQuery>,
    headers: HeaderMap,
) -> Response {
    let opened = match open(&state, &code, query.exp.as_deref(), query.sig.as_deref()).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    if let Some(done) = query.done.as_deref() {
        let back = format!("{}?exp={}&sig={}", opened.path, opened.exp, opened.sig);
        let planner = state.planner();
        let config = &planner.config;
        let status = match done {
            "promise" => answers::promise_status(config),
            "dispute" => answers::dispute_status(config),
            _ => config.settings.paid_status.clone(),
        };
        // Whether the status the answer gave holds reminders back.
        let suspended = status
            .and_then(|s| config.statuses.get(&s))
            .is_some_and(|d| !matches!(d.effect, relance_dsl::model::StatusEffect::None));
        let page = html::confirmation(
            opened.lang,
            config.settings.company.as_deref().unwrap_or(""),
            done,
            suspended,
            &back,
        );
        return Html(page).into_response();
    }
    let token = match cookie(&headers, COOKIE) {
        Some(t) if t.len() == 43 => t.to_string(),
        _ => match csrf::random_token() {
            Ok(t) => t,
            Err(e) => return failed(&state, opened.lang, e),
        },
    };
    show(&state, &opened, &token, None, StatusCode::OK).await
}

/// Renders the page (with a form's problem), setting the form cookie.
async fn show(
    state: &AppState,
    opened: &Opened,
    token: &str,
    problem: Option<(Problem, HashMap<String, Vec<String>>)>,
    status: StatusCode,
) -> Response {
    let planner = state.planner();
    let settings = &planner.config.settings;
    let lang = opened.lang;
    let account = &opened.account;
    let today = today(&planner);
    let composer = match Composer::shared(planner.clone(), state.templates()) {
        Ok(c) => c,
        Err(e) => return failed(state, lang, e),
    };
    let statement = composer.statement(account, today, None).html;
    let files = match shared_files(state, account).await {
        Ok(f) => f,
        Err(e) => return failed(state, lang, e),
    };
    let leader = account.leader().map(|c| c.facts.code.clone());
    let name_of = |customer: &str| {
        account
            .customers
            .iter()
            .find(|c| c.facts.code == customer)
            .map(|c| c.facts.name.clone())
            .unwrap_or_default()
    };
    // Dates and amounts written as the page's language writes them.
    let written = relance_templates::format::Lang::of(lang.code());
    let choice = |i: &&relance_engine::planner::account::Item| {
        let member = if leader.as_deref() == Some(i.customer.as_str()) {
            String::new()
        } else {
            format!("{} · ", name_of(&i.customer))
        };
        Choice {
            value: answers::item_value(i),
            label: format!(
                "{member}{} — {} {} — {} {}",
                i.reference,
                lang.t("due"),
                written.short_date(i.due_date),
                written.money(i.remaining, &i.currency),
                lang.t("left")
            ),
        }
    };
    let overdue: Vec<Choice> = answers::overdue_items(account, today)
        .iter()
        .map(choice)
        .collect();
    let open: Vec<Choice> = answers::open_items(account).iter().map(choice).collect();
    let reasons: Vec<Choice> = answers::reasons(settings)
        .into_iter()
        .map(|(value, words)| Choice {
            label: if settings.dispute_reasons.is_empty() {
                lang.t(&format!("reason_{value}")).to_string()
            } else {
                words
            },
            value,
        })
        .collect();
    let name = account
        .leader()
        .map(|c| c.facts.name.clone())
        .unwrap_or_default();
    let view = PageView {
        lang,
        company: settings.company.as_deref().unwrap_or(""),
        name: &name,
        path: &opened.path,
        exp: opened.exp,
        sig: &opened.sig,
        csrf: token,
        statement: &statement,
        files: &files,
        overdue: &overdue,
        open: &open,
        reasons: &reasons,
        promise: answers::promise_status(&planner.config).is_some(),
        dispute: answers::dispute_status(&planner.config).is_some(),
        limit_days: settings.promise_limit_days,
        today,
        problem,
    };
    let mut response = (status, Html(view.render())).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(state, token));
    response
}

/// The files of the account (its items and itself) shared with the
/// customer and not hidden, each with a signed download link.
async fn shared_files(
    state: &AppState,
    account: &Account,
) -> Result<Vec<SharedFile>, relance_engine::store::StoreError> {
    let Some(signer) = state.files().and_then(|f| f.signer.as_ref()) else {
        return Ok(Vec::new());
    };
    let mut keys: Vec<(String, String)> = account
        .customers
        .iter()
        .map(|c| (c.facts.code.clone(), String::new()))
        .collect();
    keys.extend(
        account
            .items
            .iter()
            .map(|i| (i.customer.clone(), i.reference.clone())),
    );
    let rows = files::customer_files_of(state.store(), &keys).await?;
    let expiry = chrono::Duration::hours(state.planner().config.settings.link_expiry_hours);
    let public = public_url(state);
    Ok(rows
        .into_iter()
        .map(|f| {
            let (link, _) = signer.file_link(&f, state.clock().now(), expiry, &public);
            SharedFile {
                about: f.reference.clone(),
                name: f.name,
                link,
            }
        })
        .collect())
}

/// A posted form: its fields (repeated ones kept in order) and its file.
struct Posted {
    /// Fields by name.
    fields: HashMap<String, Vec<String>>,
    /// The uploaded file: name and content (none when no file was chosen).
    file: Option<(String, Bytes)>,
}

impl Posted {
    fn one(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    fn text(&self, name: &str) -> String {
        self.one(name).unwrap_or("").to_string()
    }

    fn many(&self, name: &str) -> Vec<String> {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

fn posted(pairs: Vec<(String, String)>) -> HashMap<String, Vec<String>> {
    let mut fields: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in pairs {
        fields.entry(k).or_default().push(v);
    }
    fields
}

async fn read_multipart(mut multipart: Multipart) -> Result<Posted, MultipartError> {
    let mut pairs = Vec::new();
    let mut file = None;
    while let Some(field) = multipart.next_field().await? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let content = field.bytes().await?;
            if !file_name.is_empty() && !content.is_empty() {
                file = Some((file_name, content));
            }
        } else {
            let value = field.text().await?;
            pairs.push((name, value));
        }
    }
    Ok(Posted {
        fields: posted(pairs),
        file,
    })
}

/// The page for a form that could not be read: too large (413, the upload
/// limit), or broken (400). Nothing is written.
fn unreadable(state: &AppState, e: &MultipartError) -> Response {
    tracing::info!(error = %e.body_text(), "a customer form could not be read");
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return say(
            state,
            Lang::En,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large_title",
            "too_large_text",
        );
    }
    say(
        state,
        Lang::En,
        StatusCode::BAD_REQUEST,
        "unreadable_title",
        "unreadable_text",
    )
}

/// `POST /c/{account}/promise` (urlencoded): `date`, `amount`, `items` or `all`.
pub async fn promise(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
        Ok(pairs) => Posted {
            fields: posted(pairs),
            file: None,
        },
        Err(_) => return not_valid(&state),
    };
    answer(state, code, headers, form, "promise").await
}

/// `POST /c/{account}/dispute` (multipart): `item`, `reason`, `comment`, `file`.
pub async fn dispute(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    match read_multipart(multipart).await {
        Ok(form) => answer(state, code, headers, form, "dispute").await,
        Err(e) => unreadable(&state, &e),
    }
}

/// `POST /c/{account}/paid` (multipart): `date`, `reference`, `items` or
/// `all`, `file`.
pub async fn paid(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    match read_multipart(multipart).await {
        Ok(form) => answer(state, code, headers, form, "paid").await,
        Err(e) => unreadable(&state, &e),
    }
}

/// What every answer does: the link, the CSRF token, the values, the file,
/// then one transaction; a redirect to the confirmation (303).
async fn answer(
    state: AppState,
    code: String,
    headers: HeaderMap,
    form: Posted,
    kind: &'static str,
) -> Response {
    let opened = match open(&state, &code, form.one("exp"), form.one("sig")).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let lang = opened.lang;
    let token = cookie(&headers, COOKIE).unwrap_or("");
    if !csrf::matches(form.one(csrf::FIELD).unwrap_or(""), token) {
        return say(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            "csrf_title",
            "csrf_text",
        );
    }
    let planner = state.planner();
    let config = &planner.config;
    let today = today(&planner);
    let account = &opened.account;
    let checked = check(kind, config, account, today, &form);
    let refuse = |field: &str, text: String| {
        let problem = Problem {
            form: kind,
            field: field.to_string(),
            text,
        };
        show(
            &state,
            &opened,
            token,
            Some((problem, form.fields.clone())),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let answer: Answer = match checked {
        Ok(a) => a,
        Err(Invalid { field, key, .. }) => {
            let text = lang
                .t(key)
                .replace("{n}", &config.settings.promise_limit_days.to_string());
            return refuse(field, text).await;
        }
    };
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut attached = None;
    if let (Some(upload), Some(access)) = (upload(kind, &answer, &form), state.files()) {
        match files::attach(state.store(), &access.store, upload, &now, answers::ORIGIN).await {
            Ok(row) => attached = Some((row.id, row.name)),
            Err(e) if e.is_refusal() => {
                return refuse("file", format!("{} {e}", lang.t("file_refused"))).await;
            }
            Err(e) => return failed(&state, lang, e),
        }
    }
    let stamp = ChangeStamp {
        today,
        now,
        origin: answers::ORIGIN.into(),
    };
    let id = match csrf::random_token() {
        Ok(id) => id,
        Err(e) => return failed(&state, lang, e),
    };
    match answers::apply(
        state.store(),
        config,
        account,
        &answer,
        &stamp,
        &id,
        attached,
    )
    .await
    {
        Ok(applied) => {
            tracing::info!(account = %account.code, answer = kind, title = %applied.title, "a customer answered");
            Redirect::to(&format!(
                "{}?exp={}&sig={}&done={kind}",
                opened.path, opened.exp, opened.sig
            ))
            .into_response()
        }
        Err(e) => failed(&state, lang, e),
    }
}

/// The engine's check of a posted answer of `kind`.
fn check(
    kind: &str,
    config: &relance_dsl::model::Config,
    account: &Account,
    today: chrono::NaiveDate,
    form: &Posted,
) -> Result<Answer, Invalid> {
    match kind {
        "promise" => answers::validate_promise(
            config,
            account,
            today,
            &answers::PromiseInput {
                date: form.text("date"),
                amount: form.text("amount"),
                items: form.many("items"),
                all: form.one("all").is_some(),
            },
        ),
        "dispute" => answers::validate_dispute(
            config,
            account,
            &answers::DisputeInput {
                item: form.text("item"),
                reason: form.text("reason"),
                comment: form.text("comment"),
            },
        ),
        _ => answers::validate_paid(
            account,
            today,
            &answers::PaidInput {
                date: form.text("date"),
                reference: form.text("reference"),
                items: form.many("items"),
                all: form.one("all").is_some(),
            },
        ),
    }
}

/// The file sent with an answer, for the item it goes to (the disputed
/// one, the first paid one), kept internal.
fn upload(kind: &str, answer: &Answer, form: &Posted) -> Option<Upload> {
    let (name, content) = form.file.as_ref()?;
    let (customer, reference) = answer.file_item()?;
    Some(Upload {
        customer: customer.clone(),
        reference: Some(reference.clone()),
        name: name.clone(),
        content: content.clone(),
        visibility: "internal".into(),
        description: Some(match kind {
            "dispute" => "Sent by the customer with a dispute".into(),
            _ => "Remittance advice sent by the customer".into(),
        }),
    })
}
