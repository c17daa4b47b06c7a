//! relance admin API: an axum HTTP server for operators (docs/reference/api.md): runs,
//! the agenda of actions and their approval, alerts, accounts and their
//! statements, item statuses, CSV imports, configuration validation and
//! reload, reports, metrics and the OpenAPI document. Every route but
//! `/health`, the signed file downloads (`/files/{id}/download`) and the
//! signed customer page (`/c/{account}`), whose signatures are the
//! credential, needs a bearer token whose role allows it; `/ui/` has its
//! own sessions.
//!
//! [`router`] builds the whole application over an [`AppState`]; [`serve`]
//! runs it on a listener until a shutdown signal.
//!
//! # Layout
//! - [`auth`]: token files (SHA-256 only), `relance token`, roles, the
//!   middleware that admits requests.
//! - [`error`]: [`AppError`], the one error type, and its JSON shape.
//! - [`extract`]: axum's extractors with rejections in that shape.
//! - [`state`]: [`AppState`], the store and the configuration in force
//!   (swapped atomically by a reload); it composes the parts the middleware
//!   take through axum's `FromRef`, so [`auth`], [`metrics`] and [`runs`]
//!   do not know it.
//! - [`runs`]: run requests, the [`runs::RunQueue`] seam and
//!   [`runs::execute`], what a queued run does.
//! - [`routes`]: the handlers, one module per resource.
//! - [`metrics`]: request latencies and the Prometheus text.
//! - [`openapi`]: the OpenAPI document, generated from the handlers.
//! - [`ui`]: the collectors' web workspace at `/ui/`, with its own
//!   cookie sessions (not bearer tokens).
//! - [`customer`]: the customer page at `/c/{account}`, opened from a
//!   signed link: statement, shared files, and the customer's answers.

pub mod auth;
pub mod customer;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod runs;
pub mod state;
pub mod ui;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, patch, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::AppError;
pub use state::{ApiSettings, AppState, Clock, FileAccess};

/// The largest request body, except imports.
pub const BODY_LIMIT: usize = 10_000_000;
/// How long a request may take, except imports.
pub const TIMEOUT: Duration = Duration::from_secs(120);
/// How long an import may take.
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(900);
/// The most header bytes (names and values) a request may carry; more is
/// 431 with the error shape of every other error.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The most header lines a request may carry (431 past it).
pub const MAX_HEADERS: usize = 100;
/// What the HTTP parser reads of a request head before giving up on its
/// own (a bare 431 and the connection closed): far above
/// [`MAX_HEADER_BYTES`] and [`MAX_HEADERS`], so that the server, not the
/// parser, answers oversized headers in the common case.
const PARSER_BUFFER: usize = 4 * 1024 * 1024;
/// Header lines the parser accepts before giving up on its own.
const PARSER_HEADERS: usize = 1000;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application.
pub fn router(state: AppState) -> Router {
    use routes::{accounts, actions, config, files, imports, items, reports, runs, system, tasks};
    let timed = Router::new()
        .route("/runs", post(runs::start))
        .route("/runs/{id}", get(runs::show))
        .route("/actions", get(actions::list))
        .route("/actions/{id}/approve", post(actions::approve))
        .route("/actions/{id}/reject", post(actions::reject))
        .route("/alerts", get(actions::alerts))
        .route("/tasks", get(tasks::list))
        .route("/tasks/{id}/done", post(tasks::done))
        .route("/accounts/{code}", get(accounts::show))
        .route("/accounts/{code}/statement", get(accounts::statement_route))
        .route(
            "/items/{customer}/{reference}/status",
            post(items::set).delete(items::clear),
        )
        .route(
            "/items/{customer}/{reference}/files",
            get(files::list)
                .post(files::upload)
                .layer(DefaultBodyLimit::max(files::UPLOAD_LIMIT)),
        )
        .route("/accounts/{code}/files", get(files::list_account))
        .route("/files/{id}", patch(files::change))
        .route("/config/validate", post(config::validate))
        .route("/config/reload", post(config::reload))
        .route("/reports/{name}", get(reports::show))
        .route("/metrics", get(system::metrics))
        .route("/openapi.json", get(system::openapi))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            TIMEOUT,
        ));
    let slow = Router::new()
        .route("/imports", post(imports::create))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            IMPORT_TIMEOUT,
        ));
    let protected = timed
        .merge(slow)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    Router::new()
        .merge(protected)
        .merge(ui::router(state.clone()))
        .merge(customer::router(state.clone()))
        .route("/health", get(system::health))
        // Opened from emails by customers: the signature is the credential.
        .route("/files/{id}/download", get(files::download))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(header_limit))
        .layer(middleware::from_fn(json_errors))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %id,
                )
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

async fn not_found(request: Request) -> AppError {
    AppError::NotFound(format!(
        "no route {} {}",
        request.method(),
        request.uri().path()
    ))
}

async fn method_not_allowed(request: Request) -> AppError {
    AppError::MethodNotAllowed(format!(
        "{} is not allowed on {}",
        request.method(),
        request.uri().path()
    ))
}

/// Requests with more than [`MAX_HEADERS`] header lines or
/// [`MAX_HEADER_BYTES`] of headers: 431 with a JSON body.
async fn header_limit(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return error::body(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!(
                "the request has {} header lines and {bytes} bytes of headers; at most {MAX_HEADERS} lines and {} KiB are accepted",
                headers.len(),
                MAX_HEADER_BYTES / 1024
            ),
            None,
        );
    }
    next.run(request).await
}

/// Errors made by layers (a timeout, a body limit) come without a body:
/// give them the shape of every other error.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if (status.is_client_error() || status.is_server_error())
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        return error::from_status(status);
    }
    response
}

/// A handler that panicked (a bug: bad input is an [`AppError`]): a 500 of
/// the usual shape, the panic logged, the server going on.
fn panicked(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("a panic");
    tracing::error!(panic = what, "a handler panicked");
    error::from_status(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Serves the application on `listener` until `shutdown` completes.
/// Runs a previous process left unfinished are marked failed first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    match runs::fail_interrupted(state.store(), chrono::Utc::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            runs = n,
            "runs interrupted by a previous stop were marked failed"
        ),
        Err(e) => tracing::error!(error = %e, "cannot check for interrupted runs"),
    }
    // hyper's own connection loop rather than `axum::serve`, which cannot
    // set the parser's limits (see PARSER_BUFFER).
    let app = router(state);
    let (stop, stopping) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, a connection reset before accept...
                        tracing::warn!(error = %e, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                // The client's address, for the customer page's rate limit.
                let client = customer::ClientAddr(peer.ip());
                let service = hyper_util::service::TowerToHyperService::new(
                    tower::ServiceExt::map_request(app.clone(), move |mut r: hyper::Request<hyper::body::Incoming>| {
                        r.extensions_mut().insert(client);
                        r
                    }),
                );
                let mut stopping = stopping.clone();
                connections.spawn(async move {
                    let mut builder = hyper::server::conn::http1::Builder::new();
                    builder
                        .max_buf_size(PARSER_BUFFER)
                        .max_headers(PARSER_HEADERS);
                    let connection = builder
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .with_upgrades();
                    let mut connection = std::pin::pin!(connection);
                    tokio::select! {
                        result = connection.as_mut() => {
                            if let Err(e) = result {
                                tracing::debug!(error = %e, "connection ended");
                            }
                            return;
                        }
                        _ = stopping.changed() => connection.as_mut().graceful_shutdown(),
                    }
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "connection ended");
                    }
                });
            }
        }
    }
    drop(stop);
    drop(listener);
    while connections.join_next().await.is_some() {}
    Ok(())
}
