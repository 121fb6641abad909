//! The route table: `configure` mounts every endpoint with its middleware (CORS, metrics, security
//! headers, and the API-key guard on `/api/...`), the body limit, and JSON answers for unknown
//! routes and methods.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, Error, HttpResponse, Resource, web};
use pulse_domain::ports::GoogleAuthorizer;

use crate::auth::middleware::require_api_key;
use crate::cors::{CorsOrigins, apply_cors};
use crate::error::ApiError;
use crate::extract::BodyLimit;
use crate::handlers::fallback::{method_not_allowed, not_found};
use crate::handlers::google::{callback, confirm, connect, disconnect};
use crate::handlers::{auto_sync, jobs, operations, profiles, webhooks};
use crate::security_headers::{SecurityHeaders, apply_security_headers};
use crate::state::{ApiState, ApiStore};
use crate::telemetry::http::track_requests;

/// The prefix of the CRM-facing routes, as in the seed.
pub(crate) const API_PREFIX: &str = "/api/logos-vision";

/// Mounts the whole API on an actix app (or a scope of one).
pub fn configure<S, A>(cfg: &mut web::ServiceConfig, state: ApiState<S, A>)
where
    S: ApiStore,
    A: GoogleAuthorizer + 'static,
{
    configure_with(cfg, state, |_| {});
}

/// Mounts the API plus the server's own routes (`extra`, e.g. the settings page), which get the
/// same CORS, metrics and JSON 404/405 answers and are matched after the API's routes.
pub fn configure_with<S, A, F>(cfg: &mut web::ServiceConfig, state: ApiState<S, A>, extra: F)
where
    S: ApiStore,
    A: GoogleAuthorizer + 'static,
    F: FnOnce(&mut web::ServiceConfig),
{
    let body_limit = state.config.body_limit_bytes;
    let cors = CorsOrigins(state.config.cors_origins.clone());
    let security_headers = SecurityHeaders::for_config(&state.config);
    cfg.app_data(web::Data::new(state))
        .app_data(web::Data::new(cors))
        .app_data(web::Data::new(security_headers))
        .app_data(BodyLimit(body_limit))
        .app_data(web::PayloadConfig::new(body_limit))
        .app_data(extractor_errors::json(body_limit))
        .app_data(extractor_errors::form(body_limit))
        .app_data(extractor_errors::query())
        .app_data(extractor_errors::path())
        .service(
            web::scope("")
                .wrap(from_fn(apply_cors))
                .wrap(from_fn(track_requests))
                .wrap(from_fn(apply_security_headers))
                .service(resource("/healthz", "GET").route(web::get().to(operations::healthz)))
                .service(
                    resource("/readyz", "GET").route(web::get().to(operations::readyz::<S, A>)),
                )
                .service(
                    resource("/metrics", "GET").route(web::get().to(operations::metrics::<S, A>)),
                )
                .service(resource("/openapi.json", "GET").route(web::get().to(operations::openapi)))
                .service(
                    resource(&format!("{API_PREFIX}/google/callback"), "GET")
                        .route(web::get().to(callback::callback::<S, A>)),
                )
                .service(
                    resource(&format!("{API_PREFIX}/google/callback/confirm"), "POST")
                        .route(web::post().to(confirm::confirm::<S, A>)),
                )
                .service(
                    web::scope(API_PREFIX)
                        .wrap(from_fn(require_api_key::<S, A>))
                        .service(
                            resource("/auto-sync/config", "GET, PUT")
                                .route(web::get().to(auto_sync::get_config::<S, A>))
                                .route(web::put().to(auto_sync::update_config::<S, A>)),
                        )
                        .service(
                            resource("/google-contacts/sync", "POST")
                                .route(web::post().to(jobs::start_sync::<S, A>)),
                        )
                        .service(
                            resource("/google-contacts/sync/jobs", "GET")
                                .route(web::get().to(jobs::list_jobs::<S, A>)),
                        )
                        .service(
                            resource("/google-contacts/sync/jobs/{id}", "GET")
                                .route(web::get().to(jobs::get_job::<S, A>)),
                        )
                        .service(
                            resource("/google-contacts/profiles", "GET")
                                .route(web::get().to(profiles::list_profiles::<S, A>)),
                        )
                        .service(
                            resource("/google-contacts/profiles/changes", "GET")
                                .route(web::get().to(profiles::list_changes::<S, A>)),
                        )
                        .service(
                            resource("/google/connect", "POST")
                                .route(web::post().to(connect::connect::<S, A>)),
                        )
                        .service(
                            resource("/google/connection", "DELETE")
                                .route(web::delete().to(disconnect::disconnect::<S, A>)),
                        )
                        .service(
                            resource("/webhooks", "GET, PUT, DELETE")
                                .route(web::get().to(webhooks::get_endpoint::<S, A>))
                                .route(web::put().to(webhooks::put_endpoint::<S, A>))
                                .route(web::delete().to(webhooks::delete_endpoint::<S, A>)),
                        )
                        .service(
                            resource("/webhooks/deliveries", "GET")
                                .route(web::get().to(webhooks::list_deliveries::<S, A>)),
                        )
                        .default_service(web::to(not_found)),
                )
                .configure(extra)
                .default_service(web::to(not_found)),
        );
}

/// A whole actix app serving the API, for `HttpServer::new(move || pulse_api::app(state.clone()))`.
pub fn app<S, A>(
    state: ApiState<S, A>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<BoxBody>,
        Error = Error,
        InitError = (),
    >,
>
where
    S: ApiStore,
    A: GoogleAuthorizer + 'static,
{
    App::new().configure(move |cfg| configure(cfg, state))
}

/// A resource that answers other methods with 405 and `Allow: <allowed>`.
fn resource(path: &str, allowed: &'static str) -> Resource {
    web::resource(path).default_service(web::to(move || async move {
        Err::<HttpResponse, ApiError>(method_not_allowed(allowed))
    }))
}

/// JSON error answers for actix's own extractors, should a handler use them.
mod extractor_errors {
    use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
    use actix_web::web;

    use crate::error::ApiError;

    pub(super) fn json(limit: usize) -> web::JsonConfig {
        web::JsonConfig::default()
            .limit(limit)
            .error_handler(move |error, _| {
                match error {
                    JsonPayloadError::Overflow { .. }
                    | JsonPayloadError::OverflowKnownLength { .. } => {
                        ApiError::PayloadTooLarge { limit }
                    }
                    JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
                    other => ApiError::invalid("invalid_json", other.to_string(), None),
                }
                .into()
            })
    }

    pub(super) fn form(limit: usize) -> web::FormConfig {
        web::FormConfig::default()
            .limit(limit)
            .error_handler(move |error, _| {
                match error {
                    UrlencodedError::Overflow { .. } => ApiError::PayloadTooLarge { limit },
                    UrlencodedError::ContentType => ApiError::UnsupportedMediaType,
                    other => ApiError::invalid("invalid_form", other.to_string(), None),
                }
                .into()
            })
    }

    pub(super) fn query() -> web::QueryConfig {
        web::QueryConfig::default().error_handler(|error: QueryPayloadError, _| {
            ApiError::invalid("invalid_query", error.to_string(), None).into()
        })
    }

    pub(super) fn path() -> web::PathConfig {
        web::PathConfig::default().error_handler(|error: PathError, _| {
            ApiError::invalid("invalid_path", error.to_string(), None).into()
        })
    }
}
