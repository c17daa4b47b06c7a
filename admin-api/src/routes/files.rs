//! Attached files (docs/reference/files.md): `POST /items/{c}/{r}/files`
//! (multipart upload), `GET /items/{c}/{r}/files`, `GET
//! /accounts/{code}/files`, `PATCH /files/{id}`, and the public, signed
//! `GET /files/{id}/download?exp=…&sig=…`, which answers people with a
//! short page when the link is tampered with (404), expired or withdrawn
//! (410), and never with the file.

use axum::Extension;
use axum::Json;
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use relance_engine::files::{self, FileError, Upload};
use relance_engine::links::{self, LinkError};
use relance_engine::store::files::{self as table, FileChange, FileFilter, FileRow};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::AppError;
use crate::extract::{ApiJson, ApiPath};
use crate::state::{AppState, FileAccess};

/// The largest upload request: the largest file plus room for the form.
pub const UPLOAD_LIMIT: usize = files::MAX_SIZE as usize + 1_000_000;

/// A file as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileView {
    /// Its id.
    pub id: i64,
    /// `CUSTOMER/REFERENCE`, or `CUSTOMER` for a file of the whole account.
    pub item: String,
    /// The file name.
    pub name: String,
    /// A free description.
    pub description: Option<String>,
    /// Its MIME type, found from its content.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of its content.
    pub sha256: String,
    /// `internal` or `customer`.
    pub visibility: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: String,
    /// Hidden: out of emails, its links dead.
    pub hidden: bool,
    /// A signed download link (absolute with a public address), when the
    /// server has a link key and the file is not hidden.
    pub link: Option<String>,
    /// When `link` expires (RFC 3339).
    pub link_expires_at: Option<String>,
}

fn view(state: &AppState, access: &FileAccess, f: FileRow) -> FileView {
    let (link, link_expires_at) = match (&access.signer, f.hidden) {
        (Some(signer), false) => {
            let planner = state.planner();
            let settings = &planner.config.settings;
            let public = access
                .public_url
                .clone()
                .or_else(|| settings.public_url.clone())
                .unwrap_or_default();
            let expiry = chrono::Duration::hours(settings.link_expiry_hours);
            let (url, at) = signer.file_link(&f, state.clock().now(), expiry, &public);
            (
                Some(url),
                Some(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            )
        }
        _ => (None, None),
    };
    FileView {
        id: f.id,
        item: files::item_label(&f.customer, &f.reference),
        name: f.name,
        description: f.description,
        content_type: f.content_type,
        size: f.size,
        sha256: f.sha256,
        visibility: f.visibility,
        uploaded_by: f.uploaded_by,
        uploaded_at: f.uploaded_at,
        hidden: f.hidden,
        link,
        link_expires_at,
    }
}

fn access(state: &AppState) -> Result<&FileAccess, AppError> {
    state
        .files()
        .ok_or_else(|| AppError::Unavailable("this server has no file store".into()))
}

fn file_error(e: FileError) -> AppError {
    match e {
        FileError::NoItem(_) | FileError::NoFile(_) => AppError::NotFound(e.to_string()),
        FileError::TooLarge { .. } => AppError::TooLarge(e.to_string()),
        FileError::TypeNotAllowed { .. } | FileError::ContentMismatch { .. } => {
            AppError::UnsupportedMediaType(e.to_string())
        }
        e if e.is_refusal() => AppError::Invalid {
            code: "invalid_file",
            message: e.to_string(),
            details: None,
        },
        FileError::Store(e) => e.into(),
        e => AppError::internal(e),
    }
}

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(format!(
            "a file is limited to {} MB",
            files::MAX_SIZE / (1024 * 1024)
        ))
    } else {
        AppError::BadRequest(format!("invalid multipart body: {}", e.body_text()))
    }
}

/// `POST /items/{customer}/{reference}/files`: `multipart/form-data` with
/// one or more `file` parts (each with its file name), and optional
/// `share` (`internal`, the default, or `customer`) and `description`
/// fields given before the files.
#[utoipa::path(
    post,
    path = "/items/{customer}/{reference}/files",
    params(
        ("customer" = String, Path, description = "The customer's code"),
        ("reference" = String, Path, description = "The item's reference"),
    ),
    request_body(content = String, content_type = "multipart/form-data",
        description = "`file` parts (one or more), optional `share` and `description` fields first"),
    responses(
        (status = 201, body = Vec<FileView>),
        (status = 400, body = crate::error::ErrorBody),
        (status = 404, description = "No such item", body = crate::error::ErrorBody),
        (status = 413, description = "Larger than the limit", body = crate::error::ErrorBody),
        (status = 415, description = "A type not allowed, or content not of its extension's type", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "files"
)]
pub async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath((customer, reference)): ApiPath<(String, String)>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Vec<FileView>>), AppError> {
    let access = access(&state)?;
    let mut multipart = multipart.map_err(|r| {
        AppError::UnsupportedMediaType(format!(
            "the body must be multipart/form-data: {}",
            r.body_text()
        ))
    })?;
    let mut share = "internal".to_string();
    let mut description = None;
    let mut pending = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name().unwrap_or("") {
            "share" => share = field.text().await.map_err(multipart_error)?,
            "description" => description = Some(field.text().await.map_err(multipart_error)?),
            "file" => {
                let name = field.file_name().unwrap_or("").to_string();
                if name.is_empty() {
                    return Err(AppError::BadRequest(
                        "each `file` part needs a file name".into(),
                    ));
                }
                let content = field.bytes().await.map_err(multipart_error)?;
                pending.push((name, content));
            }
            other => {
                return Err(AppError::BadRequest(format!(
                    "unknown form field `{other}` (use file, share, description)"
                )));
            }
        }
    }
    if pending.is_empty() {
        return Err(AppError::BadRequest("no `file` part in the form".into()));
    }
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut out = Vec::new();
    for (name, content) in pending {
        let upload = Upload {
            customer: customer.clone(),
            reference: Some(reference.clone()),
            name,
            content,
            visibility: share.clone(),
            description: description.clone(),
        };
        let row = files::attach(state.store(), &access.store, upload, &now, &caller.origin())
            .await
            .map_err(file_error)?;
        out.push(view(&state, access, row));
    }
    Ok((StatusCode::CREATED, Json(out)))
}

/// `?all=true`: hidden files too.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Hidden files too.
    pub all: Option<bool>,
}

async fn listed(state: &AppState, filter: FileFilter) -> Result<Json<Vec<FileView>>, AppError> {
    let access = access(state)?;
    let mut tx = state.store().begin().await?;
    let rows = table::list(&mut tx, &filter).await?;
    tx.rollback().await?;
    Ok(Json(
        rows.into_iter().map(|f| view(state, access, f)).collect(),
    ))
}

/// `GET /items/{customer}/{reference}/files`.
#[utoipa::path(
    get,
    path = "/items/{customer}/{reference}/files",
    params(
        ("customer" = String, Path, description = "The customer's code"),
        ("reference" = String, Path, description = "The item's reference"),
        ListQuery,
    ),
    responses((status = 200, body = Vec<FileView>)),
    security(("bearer" = [])),
    tag = "files"
)]
pub async fn list(
    State(state): State<AppState>,
    ApiPath((customer, reference)): ApiPath<(String, String)>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<FileView>>, AppError> {
    let filter = FileFilter {
        customer: Some(customer),
        reference: Some(reference),
        hidden: query.all.unwrap_or(false),
    };
    listed(&state, filter).await
}

/// `GET /accounts/{code}/files`: the files of an account's items and of
/// the account itself.
#[utoipa::path(
    get,
    path = "/accounts/{code}/files",
    params(("code" = String, Path, description = "The customer's code"), ListQuery),
    responses((status = 200, body = Vec<FileView>)),
    security(("bearer" = [])),
    tag = "files"
)]
pub async fn list_account(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<FileView>>, AppError> {
    let filter = FileFilter {
        customer: Some(code),
        reference: None,
        hidden: query.all.unwrap_or(false),
    };
    listed(&state, filter).await
}

/// The body of `PATCH /files/{id}`: what to change.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilePatch {
    /// `internal` or `customer`.
    pub visibility: Option<String>,
    /// A new description (`""` clears it).
    pub description: Option<String>,
    /// Hide (links die at once) or show again.
    pub hidden: Option<bool>,
}

/// `PATCH /files/{id}`.
#[utoipa::path(
    patch,
    path = "/files/{id}",
    params(("id" = i64, Path, description = "The file's id")),
    request_body = FilePatch,
    responses(
        (status = 200, body = FileView),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "An unknown visibility", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "files"
)]
pub async fn change(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<FilePatch>,
) -> Result<Json<FileView>, AppError> {
    let access = access(&state)?;
    let change = FileChange {
        visibility: body.visibility,
        description: body.description,
        hidden: body.hidden,
    };
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let row = files::change(state.store(), id, &change, &now, &caller.origin())
        .await
        .map_err(file_error)?;
    Ok(Json(view(&state, access, row)))
}

/// `?exp=…&sig=…` of a download link.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// When the link expires (Unix seconds).
    pub exp: Option<String>,
    /// Its signature.
    pub sig: Option<String>,
}

/// A short page for people who opened a link that does not work.
fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    (status, Html(body)).into_response()
}

fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Link not valid",
        "This link is not valid. Please use the link from your email as it is, or ask your contact for a new one.",
    )
}

fn gone(text: &str) -> Response {
    page(StatusCode::GONE, "Link no longer available", text)
}

/// `GET /files/{id}/download?exp=…&sig=…`: the file, for whoever holds a
/// valid link (no token); a `file_downloaded` history line each time.
#[utoipa::path(
    get,
    path = "/files/{id}/download",
    params(("id" = i64, Path, description = "The file's id"), LinkQuery),
    responses(
        (status = 200, description = "The file, as an attachment"),
        (status = 404, description = "A link that is not valid (tampered with, another key): an HTML page"),
        (status = 410, description = "An expired link, or a file hidden or purged since: an HTML page"),
    ),
    tag = "files"
)]
pub async fn download(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(query): Query<LinkQuery>,
) -> Response {
    let Some(access) = state.files() else {
        return not_found();
    };
    let Some(signer) = &access.signer else {
        return not_found();
    };
    let (Ok(id), Some(Ok(exp)), Some(sig)) = (
        id.parse::<i64>(),
        query.exp.as_deref().map(str::parse::<i64>),
        query.sig.as_deref(),
    ) else {
        return not_found();
    };
    match signer.verify(
        &links::file_path(id),
        exp,
        sig,
        state.clock().now().timestamp(),
    ) {
        Ok(()) => {}
        Err(LinkError::Invalid) => return not_found(),
        Err(LinkError::Expired) => {
            return gone("This link has expired. Please ask your contact for a new one.");
        }
    }
    let withdrawn = || gone("This file is no longer available.");
    let row = async {
        let mut tx = state.store().begin().await?;
        let row = table::get(&mut tx, id).await?;
        tx.rollback().await?;
        Ok::<_, relance_engine::store::StoreError>(row)
    }
    .await;
    let row = match row {
        Ok(Some(row)) if !row.hidden => row,
        Ok(_) => return withdrawn(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let content = match access.store.get(&row.sha256).await {
        Ok(content) => content,
        Err(e) => return AppError::internal(e).into_response(),
    };
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if let Err(e) = files::record_download(state.store(), &row, &now, "link").await {
        return AppError::from(e).into_response();
    }
    let disposition = format!(
        "attachment; filename=\"{}\"",
        row.name.replace(['"', '\\', '\r', '\n'], "_")
    );
    let mut response = content.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&row.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
