//! The Reports page of the workspace (`GET /ui/reports`): the charts of
//! aging, DSO over 12 months, the weekly cash forecast (promises stacked)
//! and the cash receipts, each with its table, on a date and for a
//! collector and a scenario chosen in a GET form; and each report's table
//! as CSV (`GET /ui/reports/{name}.csv`). The charts are the engine's SVG
//! (`Report::chart`), inlined in the page: markup, not script, which the
//! workspace's CSP allows; every value of the tables goes through the
//! templates' autoescaping.

use std::collections::BTreeMap;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use relance_engine::reports::present::{Align, Table};
use relance_engine::reports::{self, Filters, Kind, Options, Period, load};
use relance_engine::store::customers;
use serde::{Deserialize, Serialize};

use super::i18n::Lang;
use super::session::Session;
use super::view::{self, Failed, Page, UiError};
use crate::routes::today;
use crate::state::AppState;

/// The reports the page shows, in its order, with their headings' keys.
const SHOWN: [(Kind, &str); 4] = [
    (Kind::Aging, "report_aging"),
    (Kind::Dso, "report_dso"),
    (Kind::Forecast, "report_forecast"),
    (Kind::Receipts, "report_receipts"),
];

/// The value of `collector` that asks for every account.
const ALL: &str = "all";

/// The DSO period of the page, in days (the API's default).
const DSO_DAYS: i64 = 90;

/// The page's form: `?date=&collector=&scenario=`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ReportsQuery {
    /// `YYYY-MM-DD`; empty or absent: today.
    #[serde(default)]
    date: Option<String>,
    /// A colleague's address, or `all`; absent: the reader's own accounts
    /// when their role is `collector`, else all.
    #[serde(default)]
    collector: Option<String>,
    /// A scenario; empty or absent: every scenario.
    #[serde(default)]
    scenario: Option<String>,
}

/// What the form asked for, resolved.
struct Chosen {
    date: NaiveDate,
    /// The collector's address, `None` for all.
    collector: Option<String>,
    scenario: Option<String>,
}

/// A report's table as the page shows it.
#[derive(Debug, Serialize)]
struct TableView {
    title: String,
    columns: Vec<ColumnView>,
    rows: Vec<Vec<CellView>>,
    totals: Option<Vec<CellView>>,
    notes: Vec<String>,
}

/// A heading.
#[derive(Debug, Serialize)]
struct ColumnView {
    name: String,
    num: bool,
}

/// A cell with its column's alignment.
#[derive(Debug, Serialize)]
struct CellView {
    text: String,
    num: bool,
}

impl TableView {
    fn of(table: Table) -> TableView {
        let nums: Vec<bool> = table
            .columns
            .iter()
            .map(|(_, a)| *a == Align::Right)
            .collect();
        let cells = |row: Vec<String>| -> Vec<CellView> {
            row.into_iter()
                .enumerate()
                .map(|(i, text)| CellView {
                    text,
                    num: nums.get(i).copied().unwrap_or(false),
                })
                .collect()
        };
        TableView {
            title: table.title,
            columns: table
                .columns
                .into_iter()
                .map(|(name, a)| ColumnView {
                    name,
                    num: a == Align::Right,
                })
                .collect(),
            rows: table.rows.into_iter().map(cells).collect(),
            totals: table.totals.map(cells),
            notes: table.notes,
        }
    }
}

/// A report of the page: its name, heading, chart and table.
#[derive(Debug, Serialize)]
struct Section {
    name: &'static str,
    heading: &'static str,
    /// The engine's SVG, inlined unescaped (it escapes its own text).
    svg: String,
    table: TableView,
    csv: String,
}

fn some(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The colleagues' role (colleagues.csv) of those who collect.
const COLLECTOR_ROLE: &str = "collector";

/// The form resolved against the reader: the date (today by default) and
/// the collector (by default the reader when their role is `collector`,
/// else every account; `all`: every account); with the colleagues.
async fn choose(
    state: &AppState,
    session: &Session,
    query: &ReportsQuery,
) -> Result<(Chosen, Vec<customers::Colleague>), UiError> {
    let planner = state.planner();
    let date = match some(query.date.as_deref()) {
        None => today(&planner),
        Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d")
            .map_err(|_| UiError::BadRequest(format!("date \"{d}\" is not a date (YYYY-MM-DD)")))?,
    };
    let mut tx = state.store().begin().await?;
    let colleagues = customers::colleagues(&mut tx).await?;
    tx.rollback().await?;
    let collects = colleagues
        .iter()
        .any(|c| c.email == session.email && c.role == COLLECTOR_ROLE);
    let collector = match some(query.collector.as_deref()) {
        Some(c) if c == ALL => None,
        Some(c) => Some(c),
        None if query.collector.is_some() => None,
        None => collects.then(|| session.email.clone()),
    };
    Ok((
        Chosen {
            date,
            collector,
            scenario: some(query.scenario.as_deref()),
        },
        colleagues,
    ))
}

/// The query string that reproduces the choice (for the CSV links).
fn query_string(chosen: &Chosen) -> String {
    let mut pairs = vec![("date", chosen.date.to_string())];
    pairs.push((
        "collector",
        chosen.collector.clone().unwrap_or_else(|| ALL.into()),
    ));
    if let Some(s) = &chosen.scenario {
        pairs.push(("scenario", s.clone()));
    }
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}

fn options(date: NaiveDate) -> Options {
    Options {
        date,
        by: None,
        days: DSO_DAYS,
        period: Period::Week,
    }
}

fn filters(chosen: &Chosen) -> Filters {
    Filters {
        collector: chosen.collector.clone(),
        scenario: chosen.scenario.clone(),
        customer: None,
    }
}

/// `GET /ui/reports`: the four charts and their tables.
pub async fn reports_page(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(lang): Extension<Lang>,
    Query(query): Query<ReportsQuery>,
) -> Result<axum::response::Response, Failed> {
    let (chosen, colleagues) = choose(&state, &session, &query)
        .await
        .map_err(|e| Failed(e, lang))?;
    let planner = state.planner();
    let filters = filters(&chosen);
    let options = options(chosen.date);
    let needs = SHOWN
        .iter()
        .fold(load::Needs::default(), |needs, (kind, _)| {
            needs | load::Needs::of(*kind, &filters, options.by)
        });
    let data = load::report_data(state.store(), &planner, &filters, needs, chosen.date)
        .await
        .map_err(|e| Failed(UiError::Internal(e.to_string()), lang))?;
    let link = query_string(&chosen);
    let sections: Vec<Section> = SHOWN
        .iter()
        .map(|(kind, heading)| {
            let report = reports::of(&planner, &data, *kind, &options);
            Section {
                name: kind.name(),
                heading: lang.text(heading),
                svg: report.chart(lang.code()),
                table: TableView::of(report.table()),
                csv: format!("/ui/reports/{}.csv?{link}", kind.name()),
            }
        })
        .collect();
    let scenarios: Vec<&String> = planner.config.scenarios.keys().collect();
    let mut page = Page::signed_in(lang, &session, lang.text("reports"), "reports");
    page.insert("date", &chosen.date.to_string());
    page.insert("collector", chosen.collector.as_deref().unwrap_or(ALL));
    page.insert("scenario", chosen.scenario.as_deref().unwrap_or(""));
    page.insert(
        "colleagues",
        &colleagues
            .iter()
            .filter(|c| {
                c.role == COLLECTOR_ROLE || chosen.collector.as_deref() == Some(c.email.as_str())
            })
            .map(|c| BTreeMap::from([("email", &c.email), ("name", &c.name)]))
            .collect::<Vec<_>>(),
    );
    page.insert("scenarios", &scenarios);
    page.insert("sections", &sections);
    Ok(view::render("reports.html", &page, StatusCode::OK))
}

/// `GET /ui/reports/{name}.csv`: a report's table as CSV, with the page's
/// `date`, `collector` and `scenario`, downloaded under the session.
pub async fn report_csv(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(lang): Extension<Lang>,
    Path(file): Path<String>,
    Query(query): Query<ReportsQuery>,
) -> Result<axum::response::Response, Failed> {
    let kind = file
        .strip_suffix(".csv")
        .and_then(Kind::parse)
        .ok_or_else(|| {
            Failed(
                UiError::NotFound(format!(
                    "no report \"{file}\" ({}, each as NAME.csv)",
                    Kind::NAMES.join(", ")
                )),
                lang,
            )
        })?;
    let (chosen, _) = choose(&state, &session, &query)
        .await
        .map_err(|e| Failed(e, lang))?;
    let planner = state.planner();
    let report = reports::compute(
        state.store(),
        &planner,
        kind,
        &filters(&chosen),
        &options(chosen.date),
    )
    .await
    .map_err(|e| Failed(UiError::Internal(e.to_string()), lang))?;
    let disposition = format!(
        "attachment; filename=\"{}-{}.csv\"",
        kind.name(),
        chosen.date
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        report.table().csv(),
    )
        .into_response())
}
