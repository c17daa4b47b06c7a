//! [`AppError`], the one error of every handler: a status, a stable code and
//! a message, written `{"error": {"code": "...", "message": "..."}}`. 4xx
//! messages say what was wrong; 5xx bodies are opaque and the cause is logged.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relance_engine::store::StoreError;
use serde::Serialize;

/// Everything a request can end with besides success.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed (JSON, types, dates, query parameters).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no token, or one we do not know.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the token's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such route or thing.
    #[error("{0}")]
    NotFound(String),
    /// 405: the route exists, not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: the thing is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than the route accepts.
    #[error("{0}")]
    TooLarge(String),
    /// 415: the body is not of a type the route reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed but refused (unknown status, bad CSV rows, invalid
    /// configuration); `details` carries the full list when there is one.
    #[error("{message}")]
    Invalid {
        /// A stable code: `invalid`, `invalid_rows`, `invalid_config`...
        code: &'static str,
        /// One sentence.
        message: String,
        /// Everything that is wrong, when there is more than the message.
        details: Option<serde_json::Value>,
    },
    /// 503: the store cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    /// 500: anything else; logged, never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The body of every error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable, machine-readable code (`bad_request`, `not_found`...).
    pub code: String,
    /// One sentence for a person.
    pub message: String,
    /// The full list of problems (bad rows, diagnostics), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

impl AppError {
    /// Any error as a 500, logged here with its causes.
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> AppError {
        AppError::Internal(Box::new(e))
    }

    /// The status and the code.
    pub fn status_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            AppError::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// The response of an error given only by its status (a layer's timeout, a
/// body limit): the same shape as every other error.
pub fn from_status(status: StatusCode) -> Response {
    let code = match status {
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers_too_large",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = match status {
        StatusCode::REQUEST_TIMEOUT => "the request took too long and was stopped".to_string(),
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_string(),
        s => s
            .canonical_reason()
            .unwrap_or("request failed")
            .to_lowercase(),
    };
    body(status, code, message, None)
}

/// An error response of the usual shape.
pub(crate) fn body(
    status: StatusCode,
    code: &str,
    message: String,
    details: Option<serde_json::Value>,
) -> Response {
    let mut response = (
        status,
        Json(ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message,
                details,
            },
        }),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_code();
        match self {
            AppError::Internal(e) => {
                tracing::error!(error = %ErrorChain(&*e), "request failed");
                body(
                    status,
                    code,
                    "internal error (the cause is in the server's log)".into(),
                    None,
                )
            }
            AppError::Invalid {
                message, details, ..
            } => body(status, code, message, details),
            other => {
                let message = other.to_string();
                body(status, code, message, None)
            }
        }
    }
}

/// An error with its causes, `a: b: c`.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            // Another writer held the store: say so, it is no bug.
            e @ StoreError::Busy { .. } => AppError::Unavailable(e.to_string()),
            e => AppError::internal(e),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(format!(
                "the request body is larger than {} MB",
                crate::BODY_LIMIT / 1_000_000
            )),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(
                "the body must be JSON (Content-Type: application/json)".into(),
            ),
            _ => AppError::BadRequest(format!("invalid JSON body: {}", r.body_text())),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::BadRequest(format!("invalid query: {}", r.body_text()))
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> Self {
        AppError::BadRequest(format!("invalid path: {}", r.body_text()))
    }
}
