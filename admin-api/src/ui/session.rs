//! Signing in and out, and the gate in front of every signed-in page.
//!
//! A session is a random 256-bit token in the `relance_session` cookie
//! (HttpOnly, Secure, SameSite=Strict, Path=/ui); the store keeps its
//! SHA-256, its login, its CSRF token and its expiry, moved forward as it
//! is used ([`IDLE`]). [`require_session`] decides, before any handler,
//! who is asking, whether their role allows the request (the API's rule:
//! reading needs `viewer`, any change `operator`) and, on a POST, whether
//! the form carries the session's CSRF token.

use axum::body::{Body, Bytes};
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use relance_engine::store::logins::{self, LoginRow};
use serde::Deserialize;

use super::csrf::{self, random_token};
use super::i18n::Lang;
use super::logins::{check_password, stamp, token_hash};
use super::view::{self, Page, UiError};
use crate::auth::Role;
use crate::state::AppState;

/// The session cookie.
pub const COOKIE: &str = "relance_session";
/// The sign-in forms' double-submit cookie.
pub const LOGIN_COOKIE: &str = "relance_signin";
/// How long a session lives unused.
pub const IDLE: chrono::TimeDelta = chrono::TimeDelta::hours(12);
/// A session's expiry moves forward when it is used and at least this much
/// of its idle time has passed (not one write per page).
const EXTEND_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Who is signed in, put into the request by [`require_session`].
#[derive(Debug, Clone)]
pub struct Session {
    /// The colleague's address.
    pub email: String,
    /// The colleague's name.
    pub name: String,
    /// The access role.
    pub role: Role,
    /// The login's language, if set.
    pub language: Option<String>,
    /// The session's CSRF token, for the forms of its pages.
    pub csrf: String,
}

impl Session {
    /// The origin written in the history: `ui:<email>`.
    pub fn origin(&self) -> String {
        format!("ui:{}", self.email)
    }

    fn from_row(login: LoginRow, csrf: String) -> Session {
        Session {
            role: Role::parse(&login.role).unwrap_or(Role::Viewer),
            email: login.email,
            name: login.name,
            language: login.language,
            csrf,
        }
    }
}

/// The role a workspace request needs: reading (and signing out) `viewer`,
/// any other POST `operator`. The one rule, applied before any handler.
pub fn needed_role(method: &Method, path: &str) -> Role {
    if method == Method::GET || method == Method::HEAD || path == "/ui/logout" {
        Role::Viewer
    } else {
        Role::Operator
    }
}

/// A cookie's value in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value of the workspace: HttpOnly, Secure, SameSite=Strict,
/// Path=/ui; `max_age` 0 deletes it.
fn set_cookie(name: &str, value: &str, max_age: i64) -> HeaderValue {
    let text =
        format!("{name}={value}; Path=/ui; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The language of a page before sign-in: the browser's, else the settings'.
pub fn anonymous_lang(state: &AppState, headers: &HeaderMap) -> Lang {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::pick(None, accept, &state.planner().config.settings.language)
}

/// A POST whose `Origin` names another site than the request's `Host`
/// (defense in depth beside SameSite cookies and CSRF tokens).
fn foreign_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

/// The gate of every signed-in page: a live session (else the sign-in
/// page, or 403 on a POST), a role that allows the request (403), and on a
/// POST the session's CSRF token in the form (403). The [`Session`] goes
/// into the request's extensions.
pub async fn require_session(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let lang = anonymous_lang(&state, request.headers());
    let now = chrono::Utc::now();
    let Some(token) = cookie(request.headers(), COOKIE).map(str::to_string) else {
        return unsigned(&request, lang);
    };
    let hash = token_hash(&token);
    let found = async {
        let mut tx = state.store().begin().await?;
        let row = logins::session(&mut tx, &hash, &stamp(now)).await?;
        tx.rollback().await?;
        Ok::<_, relance_engine::store::StoreError>(row)
    }
    .await;
    let row = match found {
        Ok(Some(row)) => row,
        Ok(None) => return unsigned(&request, lang),
        Err(e) => return UiError::from(e).page(lang),
    };
    let fresh = stamp(now + IDLE);
    let extend = chrono::DateTime::parse_from_rfc3339(&row.expires_at)
        .map(|at| at.with_timezone(&chrono::Utc) < now + IDLE - EXTEND_AFTER)
        .unwrap_or(true);
    let session = Session::from_row(row.login, row.csrf);
    let lang = Lang::pick(
        session.language.as_deref(),
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
        &state.planner().config.settings.language,
    );
    if extend {
        let moved = async {
            let mut tx = state.store().begin_write().await?;
            logins::extend_session(&mut tx, &hash, &fresh).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = moved {
            tracing::warn!(error = %e, "cannot extend a session");
        }
    }
    let needed = needed_role(request.method(), request.uri().path());
    if session.role < needed {
        return UiError::Forbidden("role_refused").page(lang);
    }
    let request = if request.method() == Method::POST {
        if foreign_origin(request.headers()) {
            return UiError::Forbidden("csrf_refused").page(lang);
        }
        let (parts, body) = request.into_parts();
        let bytes: Bytes = match axum::body::to_bytes(body, csrf::MAX_FORM).await {
            Ok(b) => b,
            Err(_) => return UiError::BadRequest("too large a form".into()).page(lang),
        };
        let presented = csrf::form_field(&bytes, csrf::FIELD).unwrap_or_default();
        if !csrf::matches(&presented, &session.csrf) {
            return UiError::Forbidden("csrf_refused").page(lang);
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        request
    };
    let mut request = request;
    request.extensions_mut().insert(lang);
    request.extensions_mut().insert(session);
    next.run(request).await
}

/// No live session: the sign-in page for a GET (coming back here after),
/// 403 for anything else.
fn unsigned(request: &Request, lang: Lang) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        let path = request
            .uri()
            .path_and_query()
            .map_or("/ui/", |p| p.as_str());
        let next = serde_urlencoded::to_string([("next", path)]).unwrap_or_default();
        Redirect::to(&format!("/ui/login?{next}")).into_response()
    } else {
        UiError::Forbidden("session_ended").page(lang)
    }
}

/// `?next=` of the sign-in page.
#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    /// Where to go once signed in (a workspace path).
    pub next: Option<String>,
}

/// Only a path of the workspace (never another site: `//evil`, `/\evil`).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/ui/") && !n.contains("//") && !n.contains('\\') => n.into(),
        _ => "/ui/".into(),
    }
}

/// `GET /ui/login`: the sign-in form, with a fresh double-submit token.
pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Response {
    let lang = anonymous_lang(&state, &headers);
    sign_in_form(
        lang,
        &safe_next(query.next.as_deref()),
        None,
        StatusCode::OK,
    )
}

fn sign_in_form(
    lang: Lang,
    next: &str,
    problem: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let Ok(token) = random_token() else {
        return UiError::Internal("no random bytes".into()).page(lang);
    };
    let mut page = Page::anonymous(lang, "sign_in", &token);
    page.insert("next", next);
    page.insert("problem", &problem.map(|k| lang.text(k)));
    let mut response = view::render("login.html", &page, status);
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, &token, 3600));
    response
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    /// The colleague's address.
    #[serde(default)]
    email: String,
    /// The password.
    #[serde(default)]
    password: String,
    /// The double-submit token.
    #[serde(default)]
    csrf: String,
    /// Where to go next.
    #[serde(default)]
    next: Option<String>,
}

/// Whether a sign-in form carries the token of its cookie.
fn sign_in_token_ok(headers: &HeaderMap, presented: &str) -> bool {
    !foreign_origin(headers)
        && cookie(headers, LOGIN_COOKIE).is_some_and(|c| csrf::matches(presented, c))
}

/// `POST /ui/login`: a session for a colleague whose password matches.
/// Every failure says the same thing (no hint whether the address exists).
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    let lang = anonymous_lang(&state, &headers);
    let next = safe_next(form.next.as_deref());
    if !sign_in_token_ok(&headers, &form.csrf) {
        return sign_in_form(lang, &next, Some("csrf_refused"), StatusCode::FORBIDDEN);
    }
    match check_password(state.store(), &form.email, &form.password).await {
        Ok(Some(login)) => start_session(&state, &login.email, &next, lang).await,
        Ok(None) => sign_in_form(
            lang,
            &next,
            Some("bad_credentials"),
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => UiError::from(e).page(lang),
    }
}

/// Records a new session and sends its cookie, then goes to `next`.
async fn start_session(state: &AppState, email: &str, next: &str, lang: Lang) -> Response {
    let (Ok(token), Ok(form_token)) = (random_token(), random_token()) else {
        return UiError::Internal("no random bytes".into()).page(lang);
    };
    let now = chrono::Utc::now();
    let recorded = async {
        let mut tx = state.store().begin_write().await?;
        logins::purge_expired(&mut tx, &stamp(now)).await?;
        logins::insert_session(
            &mut tx,
            &token_hash(&token),
            email,
            &form_token,
            &stamp(now),
            &stamp(now + IDLE),
        )
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = recorded {
        return UiError::from(e).page(lang);
    }
    tracing::info!(login = email, "signed in to the workspace");
    let mut response = Redirect::to(next).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(COOKIE, &token, IDLE.num_seconds()),
    );
    headers.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0));
    response
}

/// `POST /ui/logout`: the session ends in the store and its cookie goes.
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, COOKIE) {
        let ended = async {
            let mut tx = state.store().begin_write().await?;
            logins::end_session(&mut tx, &token_hash(token)).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = ended {
            return UiError::from(e).page(anonymous_lang(&state, &headers));
        }
    }
    let mut response = Redirect::to("/ui/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(COOKIE, "", 0));
    response
}

/// `GET /ui/link/{token}`: a page with one button that uses the link (a
/// GET never uses it: mail scanners open links).
pub async fn link_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(_token): Path<String>,
) -> Response {
    let lang = anonymous_lang(&state, &headers);
    let Ok(form_token) = random_token() else {
        return UiError::Internal("no random bytes".into()).page(lang);
    };
    let page = Page::anonymous(lang, "link_title", &form_token);
    let mut response = view::render("link.html", &page, StatusCode::OK);
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &form_token, 3600),
    );
    response
}

/// The link's form: only the double-submit token.
#[derive(Debug, Deserialize)]
pub struct LinkForm {
    /// The double-submit token.
    #[serde(default)]
    csrf: String,
}

/// `POST /ui/link/{token}`: a session if the link is unused and unexpired
/// (it is used up now).
pub async fn use_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<LinkForm>,
) -> Response {
    let lang = anonymous_lang(&state, &headers);
    if !sign_in_token_ok(&headers, &form.csrf) {
        return UiError::Forbidden("csrf_refused").page(lang);
    }
    let now = stamp(chrono::Utc::now());
    let used = async {
        let mut tx = state.store().begin_write().await?;
        let email = logins::use_link(&mut tx, &token_hash(&token), &now).await?;
        tx.commit().await?;
        Ok::<_, relance_engine::store::StoreError>(email)
    }
    .await;
    match used {
        Ok(Some(email)) => start_session(&state, &email, "/ui/", lang).await,
        Ok(None) => UiError::Gone("link_dead").page(lang),
        Err(e) => UiError::from(e).page(lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_workspace_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/ui/accounts/C1")), "/ui/accounts/C1");
        assert_eq!(safe_next(Some("//evil.example/ui/")), "/ui/");
        assert_eq!(safe_next(Some("/ui//evil.example")), "/ui/");
        assert_eq!(safe_next(Some("https://evil.example")), "/ui/");
        assert_eq!(safe_next(None), "/ui/");
    }

    #[test]
    fn viewers_read_and_operators_change() {
        assert_eq!(needed_role(&Method::GET, "/ui/accounts"), Role::Viewer);
        assert_eq!(needed_role(&Method::POST, "/ui/logout"), Role::Viewer);
        assert_eq!(
            needed_role(&Method::POST, "/ui/tasks/1/done"),
            Role::Operator
        );
    }
}
