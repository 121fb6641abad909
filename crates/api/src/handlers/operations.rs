//! Operational endpoints: `/healthz` (alive), `/readyz` (database and migrations), `/metrics`
//! (Prometheus text) and `/openapi.json`.

use std::sync::OnceLock;

use actix_web::http::header::{CACHE_CONTROL, ContentType};
use actix_web::{HttpResponse, web};
use pulse_domain::ports::GoogleAuthorizer;

use crate::error::ApiError;
use crate::openapi::openapi_document;
use crate::state::{ApiState, ApiStore};
use crate::views::StatusView;

/// The Prometheus text format's content type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The process is alive.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    operation_id = "healthz",
    responses((status = 200, description = "Alive", body = StatusView))
)]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(StatusView { status: "ok" })
}

/// The database answers and its migrations are current.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    operation_id = "readyz",
    responses((status = 200, description = "Ready", body = StatusView))
)]
pub(crate) async fn readyz<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
) -> Result<HttpResponse, ApiError> {
    state.readiness.check().await.map_err(ApiError::NotReady)?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(StatusView { status: "ready" }))
}

/// The process's metrics in the Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    operation_id = "metrics",
    responses((status = 200, description = "Prometheus text", body = String, content_type = "text/plain"))
)]
pub(crate) async fn metrics<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
) -> HttpResponse {
    state.metrics.run_upkeep();
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .content_type(PROMETHEUS_TEXT)
        .body(state.metrics.render())
}

/// This API's OpenAPI document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
pub(crate) async fn openapi() -> Result<HttpResponse, ApiError> {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let document = match DOCUMENT.get() {
        Some(document) => document,
        None => {
            let rendered = openapi_document().to_json().map_err(|error| {
                ApiError::internal(format!("cannot render the OpenAPI document: {error}"))
            })?;
            DOCUMENT.get_or_init(|| rendered)
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(document.clone()))
}
