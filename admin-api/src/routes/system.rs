//! `GET /health`, `GET /metrics`, `GET /openapi.json`.

use std::fmt::Write as _;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use relance_engine::store::reports;
use serde::Serialize;

use crate::error::AppError;
use crate::metrics::escape;
use crate::state::AppState;

/// Whether the server and its store answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: String,
    /// `ok` or `unreachable`.
    pub store: String,
}

/// `GET /health` (no token needed).
#[utoipa::path(
    get,
    path = "/health",
    responses(
        (status = 200, description = "Up, store reachable", body = Health),
        (status = 503, description = "Up, store unreachable", body = Health),
    ),
    tag = "system"
)]
pub async fn health(State(state): State<AppState>) -> Response {
    let reachable = match state.store().begin().await {
        Ok(tx) => tx.rollback().await.is_ok(),
        Err(e) => {
            tracing::warn!(error = %e, "health: the store is unreachable");
            false
        }
    };
    let (status, body) = if reachable {
        (StatusCode::OK, ("ok", "ok"))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, ("degraded", "unreachable"))
    };
    (
        status,
        Json(Health {
            status: body.0.into(),
            store: body.1.into(),
        }),
    )
        .into_response()
}

fn gauge(out: &mut String, name: &str, help: &str, label: &str, rows: &[(String, i64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
    for (value, n) in rows {
        let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {n}", escape(value));
    }
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")),
    security(("bearer" = [])),
    tag = "system"
)]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let mut tx = state.store().begin().await?;
    let runs = reports::run_states(&mut tx).await?;
    let actions = reports::action_states(&mut tx).await?;
    let alerts = reports::open_alert_levels(&mut tx).await?;
    tx.rollback().await?;
    let deliveries: Vec<(String, i64)> = actions
        .iter()
        .filter(|(s, _)| s == "sent" || s == "failed")
        .cloned()
        .collect();
    let mut out = String::new();
    gauge(
        &mut out,
        "relance_runs",
        "Runs started through the API, by state.",
        "state",
        &runs,
    );
    gauge(
        &mut out,
        "relance_actions",
        "Recorded actions, by state.",
        "state",
        &actions,
    );
    gauge(
        &mut out,
        "relance_deliveries",
        "Delivery outcomes of actions (sent, failed).",
        "outcome",
        &deliveries,
    );
    gauge(
        &mut out,
        "relance_alerts_open",
        "Open alerts, by level.",
        "level",
        &alerts,
    );
    state.metrics().render_requests(&mut out);
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

/// `GET /openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    responses((status = 200, description = "This document", body = Object)),
    security(("bearer" = [])),
    tag = "system"
)]
pub async fn openapi(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(crate::openapi::document(&state.planner()))
}
