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
        description = "Runs, agenda, alerts, accounts, statuses, imports, configuration and reports (spec/API.md). \
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
        routes::actions::alerts,
        routes::accounts::show,
        routes::accounts::statement_route,
        routes::items::set,
        routes::items::clear,
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

/// The document served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
