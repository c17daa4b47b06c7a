//! `POST /imports`: one CSV file in the body, imported like `relance import`
//! (same validation, all or nothing).

use std::io::Write as _;

use axum::Extension;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use http_body_util::BodyExt as _;
use relance_engine::import::{self, DateFormat, FileKind, Full, ImportError, Options, Report};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::ApiQuery;
use crate::state::AppState;

/// The largest import body.
pub const IMPORT_LIMIT: u64 = 100_000_000;

/// `?kind=&full=&full_all=&dry_run=&date_format=&date=`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// What the CSV holds: customers, contacts, colleagues, assignments, items.
    #[param(inline, value_type = ImportKind)]
    pub kind: Option<String>,
    /// Items only: the file lists every open item of the customers it
    /// mentions; their other open items are cleared.
    pub full: Option<bool>,
    /// Items only: the file lists every open item of all customers.
    pub full_all: Option<bool>,
    /// Check and count, write nothing.
    pub dry_run: Option<bool>,
    /// `iso` (default) or `dmy`.
    #[param(inline, value_type = Option<DateStyle>)]
    pub date_format: Option<String>,
    /// The import date (YYYY-MM-DD, default today).
    #[param(format = Date)]
    pub date: Option<String>,
}

/// The kinds of CSV file.
#[derive(Debug, Clone, Copy, serde::Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// Customers.
    Customers,
    /// Contacts.
    Contacts,
    /// Colleagues.
    Colleagues,
    /// Assignments.
    Assignments,
    /// Items.
    Items,
}

/// How dates are written.
#[derive(Debug, Clone, Copy, serde::Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DateStyle {
    /// 2026-11-22
    Iso,
    /// 22/11/2026
    Dmy,
}

/// Counts for the file.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// One entry per file (one here).
    #[schema(value_type = Vec<Object>)]
    pub files: Vec<import::FileReport>,
    /// Whether nothing was written on purpose.
    pub dry_run: bool,
}

impl From<Report> for ImportReport {
    fn from(r: Report) -> Self {
        ImportReport {
            files: r.files,
            dry_run: r.dry_run,
        }
    }
}

/// Writes the body into `path`, refusing more than [`IMPORT_LIMIT`] bytes.
async fn save(headers: &HeaderMap, body: Body, path: &std::path::Path) -> Result<u64, AppError> {
    let too_large = || {
        AppError::TooLarge(format!(
            "an import body is limited to {} MB",
            IMPORT_LIMIT / 1_000_000
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > IMPORT_LIMIT) {
        return Err(too_large());
    }
    let file = std::fs::File::create(path).map_err(AppError::internal)?;
    let mut out = std::io::BufWriter::new(file);
    let mut body = body;
    let mut written: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| AppError::BadRequest(format!("reading the body failed: {e}")))?;
        if let Ok(data) = frame.into_data() {
            written += data.len() as u64;
            if written > IMPORT_LIMIT {
                return Err(too_large());
            }
            out.write_all(&data).map_err(AppError::internal)?;
        }
    }
    out.flush().map_err(AppError::internal)?;
    Ok(written)
}

/// `POST /imports`.
#[utoipa::path(
    post,
    path = "/imports",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "One CSV file (docs/reference/data.md)"),
    responses(
        (status = 200, body = ImportReport),
        (status = 400, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody),
        (status = 422, description = "Bad rows; nothing was imported (`details.errors` lists them)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "imports"
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportReport>, AppError> {
    let kind = match query.kind.as_deref() {
        None => {
            return Err(AppError::BadRequest(
                "kind is required: customers, contacts, colleagues, assignments or items".into(),
            ));
        }
        Some(k) => FileKind::parse(k).ok_or_else(|| {
            AppError::BadRequest(format!(
                "kind \"{k}\" is not a kind of file (customers, contacts, colleagues, assignments, items)"
            ))
        })?,
    };
    let full = match (query.full.unwrap_or(false), query.full_all.unwrap_or(false)) {
        (_, true) => Full::All,
        (true, false) => Full::Mentioned,
        (false, false) => Full::No,
    };
    if full != Full::No && kind != FileKind::Items {
        return Err(AppError::BadRequest(
            "full and full_all apply to items only".into(),
        ));
    }
    let date_format = match query.date_format.as_deref() {
        None | Some("iso") => DateFormat::Iso,
        Some("dmy") => DateFormat::Dmy,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "date_format \"{other}\" is not iso or dmy"
            )));
        }
    };
    let planner = state.planner();
    let mut stamp = super::items::stamp(&planner, &caller);
    if let Some(d) = &query.date {
        stamp.today = super::parse_date("date", d)?;
    }
    let dir = tempfile::tempdir().map_err(AppError::internal)?;
    let path = dir.path().join(format!("{}.csv", kind.as_str()));
    let size = save(&headers, body, &path).await?;
    if size == 0 {
        return Err(AppError::BadRequest(
            "the body is empty: send the CSV file".into(),
        ));
    }
    let options = Options {
        kind: Some(kind),
        full,
        dry_run: query.dry_run.unwrap_or(false),
        date_format,
        today: stamp.today,
        now: stamp.now,
        origin: stamp.origin,
    };
    let outcome = import::import(state.store(), &planner.config, &[path], &options).await;
    drop(dir);
    match outcome {
        Ok(report) => Ok(Json(report.into())),
        Err(ImportError::Invalid { errors, more }) => {
            let n = errors.len() + more;
            let first = errors
                .first()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default();
            Err(AppError::Invalid {
                code: "invalid_rows",
                message: format!(
                    "{n} problem{} found; nothing was imported{first}",
                    if n == 1 { "" } else { "s" }
                ),
                details: Some(serde_json::json!({ "errors": errors, "more": more })),
            })
        }
        Err(ImportError::Usage(message)) => Err(AppError::BadRequest(message)),
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}
