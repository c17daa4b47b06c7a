//! `POST` and `DELETE /items/{customer}/{reference}/status`: qualifying items.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use relance_engine::planner::Planner;
use relance_engine::status::{self, ChangeStamp, NewStatus, StatusError};
use relance_engine::store::items::ItemStatus;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// When and by whom: today in the settings' timezone, now, `api:<token>`.
pub fn stamp(planner: &Planner, caller: &Caller) -> ChangeStamp {
    let now = chrono::Utc::now();
    ChangeStamp {
        today: now
            .with_timezone(&planner.config.settings.timezone)
            .date_naive(),
        now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        origin: caller.origin(),
    }
}

/// The body of `POST .../status`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// A status of the configuration (`promise`, `dispute`...).
    pub status: String,
    /// The promised payment date (YYYY-MM-DD); statuses that suspend until it need it.
    #[serde(default)]
    #[schema(format = Date)]
    pub promise_date: Option<String>,
    /// Free text (a dispute's reason).
    #[serde(default)]
    pub comment: Option<String>,
}

/// An item's qualification.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusView {
    /// The status, `null` when none.
    pub status: Option<String>,
    /// Since when.
    pub status_since: Option<String>,
    /// The promised payment date.
    pub promise_date: Option<String>,
    /// Free text.
    pub comment: Option<String>,
}

impl From<ItemStatus> for StatusView {
    fn from(s: ItemStatus) -> Self {
        StatusView {
            status: s.status,
            status_since: s.status_since,
            promise_date: s.promise_date,
            comment: s.comment,
        }
    }
}

/// What a status change did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusChange {
    /// `CUSTOMER/REFERENCE`.
    pub item: String,
    /// The status now (`null` once cleared).
    pub status: Option<String>,
    /// The status before.
    pub previous: StatusView,
}

fn status_error(e: StatusError) -> AppError {
    match e {
        StatusError::UnknownItem(_) => AppError::NotFound(e.to_string()),
        StatusError::UnknownStatus { .. } => AppError::Invalid {
            code: "invalid",
            message: e.to_string(),
            details: None,
        },
        StatusError::NeedsDate(status) => AppError::Invalid {
            code: "invalid",
            message: format!(
                "status \"{status}\" suspends until the promised date: give promise_date (YYYY-MM-DD)"
            ),
            details: None,
        },
        StatusError::Store(e) => e.into(),
    }
}

/// The longest comment kept.
const MAX_COMMENT: usize = 4000;

/// `POST /items/{customer}/{reference}/status`.
#[utoipa::path(
    post,
    path = "/items/{customer}/{reference}/status",
    params(
        ("customer" = String, Path, description = "The customer's code"),
        ("reference" = String, Path, description = "The item's reference"),
    ),
    request_body = StatusBody,
    responses(
        (status = 200, body = StatusChange),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "Unknown status, or a promise date is needed", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "items"
)]
pub async fn set(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath((customer, reference)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Json<StatusChange>, AppError> {
    let promise_date = body
        .promise_date
        .as_deref()
        .map(|d| super::parse_date("promise_date", d))
        .transpose()?;
    if body.comment.as_ref().is_some_and(|c| c.len() > MAX_COMMENT) {
        return Err(AppError::BadRequest(format!(
            "comment is longer than {MAX_COMMENT} bytes"
        )));
    }
    let planner = state.planner();
    let stamp = stamp(&planner, &caller);
    let new = NewStatus {
        status: body.status.clone(),
        promise_date,
        comment: body.comment,
    };
    let previous = status::set(
        state.store(),
        &planner.config,
        (&customer, &reference),
        &new,
        &stamp,
    )
    .await
    .map_err(status_error)?;
    Ok(Json(StatusChange {
        item: format!("{customer}/{reference}"),
        status: Some(body.status),
        previous: previous.into(),
    }))
}

/// `?comment=` of `DELETE .../status`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClearQuery {
    /// Why, kept in the history.
    pub comment: Option<String>,
}

/// `DELETE /items/{customer}/{reference}/status`.
#[utoipa::path(
    delete,
    path = "/items/{customer}/{reference}/status",
    params(
        ("customer" = String, Path, description = "The customer's code"),
        ("reference" = String, Path, description = "The item's reference"),
        ClearQuery,
    ),
    responses(
        (status = 200, body = StatusChange),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "items"
)]
pub async fn clear(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath((customer, reference)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<ClearQuery>,
) -> Result<Json<StatusChange>, AppError> {
    if query
        .comment
        .as_ref()
        .is_some_and(|c| c.len() > MAX_COMMENT)
    {
        return Err(AppError::BadRequest(format!(
            "comment is longer than {MAX_COMMENT} bytes"
        )));
    }
    let planner = state.planner();
    let stamp = stamp(&planner, &caller);
    let previous = status::clear(
        state.store(),
        (&customer, &reference),
        query.comment.as_deref(),
        &stamp,
    )
    .await
    .map_err(status_error)?;
    Ok(Json(StatusChange {
        item: format!("{customer}/{reference}"),
        status: None,
        previous: previous.into(),
    }))
}
