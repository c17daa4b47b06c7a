//! `POST /config/validate` (an uploaded configuration, checked like
//! `relance check`) and `POST /config/reload` (the server's configuration
//! directory, installed only when valid).

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest as _, Multipart, Request, State};
use axum::http::header;
use relance_dsl::diagnostic::JsonDiagnostic;
use relance_dsl::{Code, Diagnostic, Severity, SourceFile};
use relance_engine::config::{self, LoadError, Loaded, MAX_FILE_BYTES, Report};
use relance_engine::planner::Planner;
use std::io::Read as _;

use crate::auth::Caller;
use crate::error::AppError;
use crate::state::AppState;

/// Files an upload may hold.
const MAX_FILES: usize = 10_000;

/// The document of `relance check --json`: `ok`, counts, every diagnostic
/// with file, line and column, and the summary. The CLI prints this very
/// value, so the two cannot disagree.
pub fn check_document(report: &Report) -> serde_json::Value {
    let diags = &report.checked.diagnostics;
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let list: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| JsonDiagnostic::new(d, &report.sources))
        .collect();
    serde_json::json!({
        "ok": errors == 0,
        "errors": errors,
        "warnings": diags.len() - errors,
        "diagnostics": list,
        "summary": report.checked.summary,
    })
}

/// A path inside an upload, made relative and checked: no `..`, no
/// absolute paths.
fn clean_path(raw: &str) -> Result<String, AppError> {
    let path = raw.trim_start_matches("./");
    if path.starts_with('/') || path.contains('\\') || path.split('/').any(|c| c == "..") {
        return Err(AppError::BadRequest(format!(
            "the upload holds the path \"{raw}\": paths must be relative, without `..`"
        )));
    }
    Ok(path.to_string())
}

/// What `read_dir` takes from a directory: `*.relance`, `*.rhai` and
/// `templates/**`, hidden entries skipped.
fn wanted(rel: &str) -> bool {
    !rel.split('/').any(|c| c.starts_with('.'))
        && (rel.ends_with(".relance") || rel.ends_with(".rhai") || rel.starts_with("templates/"))
}

/// Files given as `(path, bytes)` as [`config::read_dir`] would load them.
/// When every path starts with one directory (an archive of the directory
/// itself), that directory is taken off. An empty upload is an empty
/// configuration: the check says what it lacks.
fn load(mut files: Vec<(String, Vec<u8>)>) -> Loaded {
    let first = files
        .first()
        .and_then(|(p, _)| p.split('/').next())
        .unwrap_or("")
        .to_string();
    if files
        .iter()
        .all(|(p, _)| p.starts_with(&format!("{first}/")))
        && !first.is_empty()
        && first != "templates"
    {
        for (p, _) in &mut files {
            *p = p[first.len() + 1..].to_string();
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut loaded = Loaded::default();
    for (rel, bytes) in files {
        if !wanted(&rel) {
            continue;
        }
        if bytes.len() as u64 > MAX_FILE_BYTES {
            let id = loaded.sources.add(SourceFile::new(rel.clone(), ""));
            loaded.unreadable.push(id);
            loaded.diagnostics.push(Diagnostic::global(
                Code::File,
                format!(
                    "{rel}: file is too large ({:.1} MB; configuration files are limited to {} MB)",
                    bytes.len() as f64 / 1e6,
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            ));
            continue;
        }
        config::add_file(&mut loaded, rel, bytes);
    }
    loaded
}

fn untar(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let bad =
        |e: std::io::Error| AppError::BadRequest(format!("the body is not a tar archive: {e}"));
    let mut archive = tar::Archive::new(bytes);
    let mut files = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let path = clean_path(&path)?;
        let mut data = Vec::new();
        entry
            .by_ref()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(bad)?;
        files.push((path, data));
        if files.len() > MAX_FILES {
            return Err(AppError::BadRequest(format!(
                "the upload holds more than {MAX_FILES} files"
            )));
        }
    }
    Ok(files)
}

async fn unmultipart(mut form: Multipart) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!(
            "the multipart body cannot be read: {}",
            e.body_text()
        ))
    };
    let mut files = Vec::new();
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field
            .file_name()
            .or(field.name())
            .map(str::to_string)
            .ok_or_else(|| {
                AppError::BadRequest(
                    "each part needs a file name: its path in the configuration directory".into(),
                )
            })?;
        let path = clean_path(&name)?;
        let data = field.bytes().await.map_err(bad)?;
        files.push((path, data.to_vec()));
        if files.len() > MAX_FILES {
            return Err(AppError::BadRequest(format!(
                "the upload holds more than {MAX_FILES} files"
            )));
        }
    }
    Ok(files)
}

/// `POST /config/validate`.
#[utoipa::path(
    post,
    path = "/config/validate",
    request_body(
        content(
            (Vec<u8> = "application/x-tar"),
            (Object = "multipart/form-data"),
        ),
        description = "The configuration directory: a tar archive, or one multipart part per file named by its path",
    ),
    responses(
        (status = 200, description = "The diagnostics, as `relance check --json` (`ok` says whether it is valid)", body = Object),
        (status = 400, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody),
        (status = 415, body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "config"
)]
pub async fn validate(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<serde_json::Value>, AppError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let files = if content_type.starts_with("multipart/form-data") {
        let form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| {
                AppError::BadRequest(format!("invalid multipart body: {}", e.body_text()))
            })?;
        unmultipart(form).await?
    } else if content_type.starts_with("application/x-tar") {
        let bytes = Bytes::from_request(request, &state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge(format!(
                    "the request body is larger than {} MB",
                    crate::BODY_LIMIT / 1_000_000
                ))
            } else {
                AppError::BadRequest(format!("the body cannot be read: {}", e.body_text()))
            }
        })?;
        untar(&bytes)?
    } else {
        return Err(AppError::UnsupportedMediaType(
            "send the configuration as application/x-tar or multipart/form-data".into(),
        ));
    };
    let loaded = load(files);
    let report = tokio::task::spawn_blocking(move || config::check(loaded))
        .await
        .map_err(AppError::internal)?;
    Ok(Json(check_document(&report)))
}

/// `POST /config/reload`.
#[utoipa::path(
    post,
    path = "/config/reload",
    responses(
        (status = 200, description = "Installed; the diagnostics (warnings) as `relance check --json`", body = Object),
        (status = 422, description = "Invalid: nothing changed; `details` has the diagnostics", body = crate::error::ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "config"
)]
pub async fn reload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<serde_json::Value>, AppError> {
    let dir = state.config_dir().to_path_buf();
    let checked = tokio::task::spawn_blocking(move || -> Result<_, LoadError> {
        let report = config::check(config::read_dir(&dir)?);
        if report.has_errors() {
            return Ok(Err(report));
        }
        let planner = Planner::new(&report.checked.config, &report.sources)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                config::templates(&report.sources, &report.checked.config)
                    .map(|t| (p, t))
                    .map_err(|e| e.to_string())
            });
        Ok(Ok((report, planner)))
    })
    .await
    .map_err(AppError::internal)?;
    let dir = state.config_dir().display().to_string();
    match checked {
        Err(e) => Err(AppError::Invalid {
            code: "invalid_config",
            message: format!("the configuration cannot be read: {e}; the old one stays in force"),
            details: None,
        }),
        Ok(Err(report)) => {
            let doc = check_document(&report);
            tracing::warn!(by = %caller.name, "configuration reload refused: invalid");
            Err(AppError::Invalid {
                code: "invalid_config",
                message: format!(
                    "the configuration in {dir} is invalid ({} errors); the old one stays in force",
                    doc["errors"]
                ),
                details: Some(doc),
            })
        }
        Ok(Ok((report, Err(e)))) => Err(AppError::Invalid {
            code: "invalid_config",
            message: format!(
                "the configuration in {dir} does not compile: {e}; the old one stays in force"
            ),
            details: Some(check_document(&report)),
        }),
        Ok(Ok((report, Ok((planner, templates))))) => {
            state.install(planner, templates);
            tracing::info!(by = %caller.name, "configuration reloaded");
            Ok(Json(check_document(&report)))
        }
    }
}
