//! The OpenAPI 3.1 document, generated from the handlers' annotations; every operation also lists
//! the error answers it can give, all with the one error body.

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorDetail};
use crate::handlers::google::{callback, confirm, connect, disconnect};
use crate::handlers::{auto_sync, jobs, operations, profiles, webhooks};

/// The generated document's source.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "pulse-sync API",
        description = "Keeps each CRM user's Google Contacts synced on a schedule the user controls. \
                       Every /api route takes `Authorization: Bearer <key>` or `X-API-Key: <key>`."
    ),
    paths(
        auto_sync::get_config,
        auto_sync::update_config,
        jobs::start_sync,
        jobs::list_jobs,
        jobs::get_job,
        profiles::list_profiles,
        profiles::list_changes,
        connect::connect,
        callback::callback,
        confirm::confirm,
        disconnect::disconnect,
        webhooks::put_endpoint,
        webhooks::get_endpoint,
        webhooks::delete_endpoint,
        webhooks::list_deliveries,
        operations::healthz,
        operations::readyz,
        operations::metrics,
        operations::openapi,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&SecuritySchemes, &ErrorAnswers),
    tags(
        (name = "auto-sync", description = "Automatic sync settings"),
        (name = "sync", description = "Manual syncs and sync jobs"),
        (name = "profiles", description = "Synced Google contacts"),
        (name = "google", description = "Connecting a Google account"),
        (name = "webhooks", description = "Signed webhooks: the endpoint and its deliveries"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    )
)]
struct ApiDoc;

/// The API's OpenAPI document.
pub fn openapi_document() -> Document {
    ApiDoc::openapi()
}

/// Adds the two ways to send an API key.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pulse API key")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// Lists on every operation the error statuses it can answer with.
struct ErrorAnswers;

impl Modify for ErrorAnswers {
    fn modify(&self, openapi: &mut Document) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, description) in error_statuses(path, operation) {
                    add_error(operation, status, description);
                }
            }
        }
    }
}

/// The error statuses an operation can answer with.
fn error_statuses(path: &str, operation: &Operation) -> Vec<(&'static str, &'static str)> {
    let mut statuses = vec![("500", "Internal error (no details are shown)")];
    if operation.security.is_some() {
        statuses.extend([
            ("400", "Invalid request (the code and field say what)"),
            ("401", "No, unknown or revoked API key"),
            ("403", "The key may not access that workspace"),
            (
                "429",
                "Too many failed authentication attempts from this address",
            ),
            ("503", "The database is unavailable"),
        ]);
    }
    if operation.request_body.is_some() {
        let expected = if path.ends_with("/callback/confirm") {
            "The body is not a form (application/x-www-form-urlencoded)"
        } else {
            "The body is not JSON"
        };
        statuses.extend([("413", "The body is larger than 64 KiB"), ("415", expected)]);
    }
    if path.ends_with("/callback") {
        statuses.extend([
            (
                "400",
                "Unknown, used or expired state, or a failed consent without return_to",
            ),
            ("503", "The database is unavailable"),
        ]);
    }
    if path.ends_with("/callback/confirm") {
        statuses.extend([
            (
                "400",
                "Unknown, used or expired confirmation token, a form without one, or a cancelled or failed confirmation without return_to",
            ),
            ("503", "The database is unavailable"),
        ]);
    }
    if path.ends_with("{id}") {
        statuses.push(("404", "No such job for this key"));
    }
    if path == "/readyz" {
        statuses.push((
            "503",
            "The database does not answer or migrations are not current",
        ));
    }
    statuses
}

fn add_error(operation: &mut Operation, status: &str, description: &str) {
    let responses = &mut operation.responses.responses;
    if responses.contains_key(status) {
        return;
    }
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    let response = ResponseBuilder::new()
        .description(description)
        .content("application/json", content)
        .build();
    responses.insert(status.to_owned(), response.into());
}
