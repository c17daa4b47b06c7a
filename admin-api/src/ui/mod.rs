//! The collectors' web workspace at `/ui/` (docs/reference/workspace.md):
//! server-rendered pages that work without JavaScript, for colleagues
//! signed in with their own login, never with an API token.
//!
//! # Layout
//! - [`session`]: sign-in (password or one-time link), sessions in cookies,
//!   sign-out, and [`session::require_session`], the gate that decides who
//!   asks, whether their role allows it and whether a POST carries the CSRF
//!   token, before any handler runs.
//! - [`logins`]: `relance login set/list/remove/link`, password hashes (argon2id).
//! - [`csrf`]: tokens and their constant-time comparison.
//! - [`i18n`]: the words of the pages in English and French.
//! - `view`: the tera templates (compiled in, autoescaped) and error pages.
//! - `pages`: Today, Accounts, Account and the forms (qualify, approve,
//!   reject, note); `tasks`: tasks and the complete-task form.
//! - `reports`: the Reports page (charts and tables) and its CSV downloads.

pub mod csrf;
pub mod i18n;
pub mod logins;
mod pages;
mod reports;
pub mod session;
mod tasks;
mod view;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::state::AppState;

/// The workspace's routes, under `/ui`. They sit outside the bearer-token
/// middleware: [`session::require_session`] guards the signed-in ones.
pub fn router(state: AppState) -> Router<AppState> {
    let signed_in = Router::new()
        .route("/ui/", get(pages::today_page))
        .route("/ui/accounts", get(pages::accounts_page))
        .route("/ui/accounts/{code}", get(pages::account_page))
        .route("/ui/accounts/{code}/notes", post(pages::add_note))
        .route(
            "/ui/items/{customer}/{reference}/status",
            post(pages::qualify),
        )
        .route("/ui/actions/{id}/approve", post(pages::approve_action))
        .route("/ui/actions/{id}/reject", post(pages::reject_action))
        .route("/ui/tasks/{id}/done", post(tasks::complete))
        .route("/ui/reports", get(reports::reports_page))
        .route("/ui/reports/{file}", get(reports::report_csv))
        .route("/ui/logout", post(session::sign_out))
        .route_layer(middleware::from_fn_with_state(
            state,
            session::require_session,
        ));
    Router::new()
        .merge(signed_in)
        .route("/ui/login", get(session::login_page).post(session::sign_in))
        .route(
            "/ui/link/{token}",
            get(session::link_page).post(session::use_link),
        )
        .route("/ui/app.css", get(stylesheet))
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .layer(middleware::from_fn(page_headers))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        view::CSS,
    )
        .into_response()
}

/// Headers of every workspace answer: nothing from elsewhere (CSP), no
/// framing, no referrer to other sites (a link's token never leaves; same-origin
/// keeps the `Origin` of form posts, which `no-referrer` turns into `null`), no
/// caching of pages.
async fn page_headers(request: Request, next: Next) -> Response {
    let css = request.uri().path() == "/ui/app.css";
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !css {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
