//! `GET /reports/{name}`: `aging` and `qualified` from SQL aggregates;
//! `dso` and `forecast` are not built yet (501).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use relance_engine::planner::Planner;
use relance_engine::store::reports::{self, OpenSum};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::extract::{ApiPath, ApiQuery};
use relance_engine::money::Money;

use crate::routes::{amount, date_or_today};
use crate::state::AppState;

/// The aging buckets, in order.
pub const BUCKETS: [&str; 5] = ["not_due", "1-30", "31-60", "61-90", "over_90"];

/// `?date=&format=`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The date the report is computed on (YYYY-MM-DD, default today).
    #[param(format = Date)]
    pub date: Option<String>,
    /// `json` (default); `svg` is not built yet.
    #[param(inline, value_type = Option<ReportFormat>)]
    pub format: Option<String>,
}

/// Report formats.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// JSON.
    Json,
    /// An SVG chart (not built yet: 501).
    Svg,
}

/// Open amounts of one group (a bucket or a status).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Line {
    /// The bucket or status (`none`: no status).
    pub group: String,
    /// Items in it.
    pub items: i64,
    /// Their remaining, converted to the platform currency (currencies
    /// without a rate are left out; see `missing_rates`): each currency's
    /// sum converted and rounded once.
    #[schema(value_type = f64)]
    pub amount: Money,
    /// Their remaining per currency, major units.
    #[schema(value_type = Object)]
    pub by_currency: BTreeMap<String, Money>,
}

/// A report of open debit amounts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenReport {
    /// `aging` or `qualified`.
    pub report: String,
    /// The date.
    pub date: chrono::NaiveDate,
    /// The platform currency of `amount`s.
    pub currency: String,
    /// One line per group, in order.
    pub lines: Vec<Line>,
    /// All groups together.
    pub total: Line,
    /// Currencies of open items with no rate (their amounts are only in `by_currency`).
    pub missing_rates: Vec<String>,
}

fn build(
    planner: &Planner,
    report: &str,
    date: chrono::NaiveDate,
    groups: &[String],
    sums: Vec<OpenSum>,
) -> OpenReport {
    let currency = planner.config.settings.currency.clone();
    let platform = planner.currency();
    let empty = |group: String| Line {
        group,
        items: 0,
        amount: Money::zero(platform),
        by_currency: BTreeMap::new(),
    };
    let mut lines: Vec<Line> = groups.iter().cloned().map(empty).collect();
    let mut total = empty("total".into());
    let mut missing = Vec::new();
    for s in sums {
        let group = s.group.unwrap_or_else(|| "none".into());
        let index = match lines.iter().position(|l| l.group == group) {
            Some(i) => i,
            None => {
                lines.push(empty(group));
                lines.len() - 1
            }
        };
        let value = amount(s.remaining, &s.currency);
        // Converted and rounded once per group and currency: the total
        // line is exactly the sum of the lines.
        let converted = planner.convert(s.remaining, &s.currency, platform);
        for line in [&mut lines[index], &mut total] {
            line.items += s.items;
            line.by_currency
                .entry(s.currency.clone())
                .and_modify(|v| *v += value)
                .or_insert(value);
            match converted {
                Some(m) => line.amount += m,
                None => {
                    if !missing.contains(&s.currency) {
                        missing.push(s.currency.clone());
                    }
                }
            }
        }
    }
    missing.sort();
    OpenReport {
        report: report.into(),
        date,
        currency,
        lines,
        total,
        missing_rates: missing,
    }
}

/// `GET /reports/{name}`.
#[utoipa::path(
    get,
    path = "/reports/{name}",
    params(
        ("name" = String, Path, description = "aging, qualified (built); dso, forecast (501)"),
        ReportQuery,
    ),
    responses(
        (status = 200, body = OpenReport),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 501, body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "reports"
)]
pub async fn show(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Json<OpenReport>, AppError> {
    if !matches!(name.as_str(), "aging" | "qualified" | "dso" | "forecast") {
        return Err(AppError::NotFound(format!(
            "no report \"{name}\" (aging, dso, qualified, forecast)"
        )));
    }
    match query.format.as_deref() {
        None | Some("json") => {}
        Some("svg") => {
            return Err(AppError::NotImplemented(
                "SVG charts of reports are not built yet; use format=json".into(),
            ));
        }
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "format \"{other}\" is not a report format (json, svg)"
            )));
        }
    }
    if matches!(name.as_str(), "dso" | "forecast") {
        return Err(AppError::NotImplemented(format!(
            "the {name} report is not built yet (aging and qualified are)"
        )));
    }
    let planner = state.planner();
    let date = date_or_today(&planner, query.date.as_deref())?;
    let mut tx = state.store().begin().await?;
    let (groups, sums) = if name == "aging" {
        let day = |days: i64| {
            date.checked_sub_signed(chrono::Duration::days(days))
                .unwrap_or(date)
                .to_string()
        };
        let sums = reports::aging(&mut tx, [day(0), day(30), day(60), day(90)]).await?;
        (BUCKETS.iter().map(|b| b.to_string()).collect(), sums)
    } else {
        let mut groups: Vec<String> = planner.config.statuses.keys().cloned().collect();
        groups.push("none".into());
        (groups, reports::by_status(&mut tx).await?)
    };
    tx.rollback().await?;
    Ok(Json(build(&planner, &name, date, &groups, sums)))
}
