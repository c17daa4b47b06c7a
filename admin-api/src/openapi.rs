//! The OpenAPI document, generated from the handlers' `#[utoipa::path]`
//! annotations and the types' `ToSchema` derives.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "relance admin API",
        description = "Runs, agenda, alerts, accounts, statuses, imports, configuration and reports (docs/reference/api.md in the repository). \
                       Errors are `{\"error\": {\"code\": \"...\", \"message\": \"...\"}}`.",
    ),
    paths(
        routes::system::health,
        routes::system::metrics,
        routes::system::openapi,
        routes::runs::start,
        routes::runs::show,
        routes::actions::list,
        routes::actions::approve,
        routes::actions::reject,
        routes::actions::alerts,
        routes::tasks::list,
        routes::tasks::done,
        routes::accounts::show,
        routes::accounts::statement_route,
        routes::items::set,
        routes::items::clear,
        routes::files::upload,
        routes::files::list,
        routes::files::list_account,
        routes::files::change,
        routes::files::download,
        routes::imports::create,
        routes::config::validate,
        routes::config::reload,
        routes::reports::show,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&Bearer),
)]
struct ApiDoc;

/// Declares the bearer token scheme the paths refer to.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// An error response of the contract's shape.
fn error_response(description: &str) -> serde_json::Value {
    serde_json::json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// The document served at `/openapi.json`: the generated one, with the
/// errors every route shares (401 and 403 where a token is needed; 408,
/// 413 and 415 where a body is read; 500) and the statuses of the
/// configuration in force as the enum of `StatusBody.status`.
pub fn document(planner: &relance_engine::planner::Planner) -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    if let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for operation in item.values_mut() {
                let secured = operation.get("security").is_some();
                let has_body = operation.get("requestBody").is_some();
                let json_body = operation
                    .pointer("/requestBody/content/application~1json")
                    .is_some();
                let Some(responses) = operation
                    .get_mut("responses")
                    .and_then(|r| r.as_object_mut())
                else {
                    continue;
                };
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| error_response(description));
                };
                if secured {
                    add("401", "No token, or an unknown one");
                    add("403", "The token's role does not allow this");
                }
                if has_body {
                    add("413", "The body is too large");
                }
                if json_body {
                    add("400", "Malformed JSON or wrong types");
                    add("415", "The body is not JSON");
                }
                add("408", "The request took too long");
                add("500", "Internal error (logged)");
            }
        }
    }
    let statuses: Vec<&String> = planner.config.statuses.keys().collect();
    if let Some(status) = doc.pointer_mut("/components/schemas/StatusBody/properties/status")
        && let Some(status) = status.as_object_mut()
    {
        status.insert("enum".into(), serde_json::json!(statuses));
    }
    doc
}
