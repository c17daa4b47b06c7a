//! `GET /reports/{name}`: the reports of `engine::reports`, the same
//! documents as `relance report NAME --json`, or their CSV tables and SVG
//! charts.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse as _, Response};
use relance_engine::reports::{self, By, Filters, Kind, Options, Period};
use relance_engine::run::RunError;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::date_or_today;
use crate::state::AppState;

/// `?date=&format=&collector=&scenario=&customer=&by=&days=&period=&lang=`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The date the report is computed on (YYYY-MM-DD, default today).
    #[param(format = Date)]
    pub date: Option<String>,
    /// `json` (default), `csv` or `svg`.
    #[param(inline, value_type = Option<ReportFormat>)]
    pub format: Option<String>,
    /// Only the accounts this colleague collects.
    pub collector: Option<String>,
    /// Only the accounts in this scenario.
    pub scenario: Option<String>,
    /// Only this customer's account.
    pub customer: Option<String>,
    /// `customer`, `collector` or `scenario`: lines by group (aging,
    /// qualified, forecast, receipts).
    pub by: Option<String>,
    /// The DSO period in days (default 90).
    pub days: Option<i64>,
    /// Receipts per `week` (default) or `month`.
    pub period: Option<String>,
    /// Labels of charts in this language (default: the settings').
    pub lang: Option<String>,
}

/// Report formats.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// The report's JSON document (the CLI's `--json`).
    Json,
    /// The report's table as CSV.
    Csv,
    /// The report's chart.
    Svg,
}

/// `GET /reports/{name}`: the report computed on `date` (docs/reference/reports.md)
/// as JSON, CSV or an SVG chart.
#[utoipa::path(
    get,
    path = "/reports/{name}",
    params(
        ("name" = String, Path, description = "aging, dso, qualified, forecast, receipts, disputes, profile"),
        ReportQuery,
    ),
    responses(
        (status = 200, description = "the report: JSON, CSV (text/csv) or SVG (image/svg+xml)"),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "reports"
)]
pub async fn show(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Response, AppError> {
    let Some(kind) = Kind::parse(&name) else {
        return Err(AppError::NotFound(format!(
            "no report \"{name}\" ({})",
            Kind::NAMES.join(", ")
        )));
    };
    let format = query.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv" | "svg") {
        return Err(AppError::BadRequest(format!(
            "format \"{format}\" is not a report format (json, csv, svg)"
        )));
    }
    let by = match query.by.as_deref() {
        None => None,
        Some(b) => Some(By::parse(b).ok_or_else(|| {
            AppError::BadRequest(format!(
                "by \"{b}\" is not a grouping (customer, collector, scenario)"
            ))
        })?),
    };
    let period = match query.period.as_deref() {
        None => Period::Week,
        Some(p) => Period::parse(p)
            .ok_or_else(|| AppError::BadRequest(format!("period \"{p}\" is not week or month")))?,
    };
    let days = query.days.unwrap_or(90);
    if !(1..=3660).contains(&days) {
        return Err(AppError::BadRequest(format!(
            "days {days} is not a DSO period (1 to 3660)"
        )));
    }
    let planner = state.planner();
    let date = date_or_today(&planner, query.date.as_deref())?;
    let filters = Filters {
        collector: query.collector.clone(),
        scenario: query.scenario.clone(),
        customer: query.customer.clone(),
    };
    let options = Options {
        date,
        by,
        days,
        period,
    };
    let report = reports::compute(state.store(), &planner, kind, &filters, &options)
        .await
        .map_err(|e| match e {
            RunError::UnknownAccount(_) => AppError::NotFound(e.to_string()),
            e => AppError::Internal(Box::new(e)),
        })?;
    let language = query
        .lang
        .clone()
        .unwrap_or_else(|| planner.config.settings.language.clone());
    Ok(match format {
        "csv" => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            report.table().csv(),
        )
            .into_response(),
        "svg" => (
            [(header::CONTENT_TYPE, "image/svg+xml")],
            report.chart(&language),
        )
            .into_response(),
        _ => Json(report).into_response(),
    })
}
