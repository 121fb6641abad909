//! `PUT`, `GET` and `DELETE /api/logos-vision/webhooks`: a workspace's webhook endpoint (one per
//! workspace, replaced by each `PUT`; an admin key without `workspace_id` sets the endpoint of
//! every workspace), and `GET /api/logos-vision/webhooks/deliveries`: its latest attempts.
//!
//! The URL must be http(s) with a host, and unless `PULSE_WEBHOOK_ALLOW_PRIVATE` is set, not a
//! loopback, private or other internal address (checked again at each delivery, after DNS).

use actix_web::{HttpResponse, web};
use pulse_domain::ports::{GoogleAuthorizer, NewEndpoint};
use pulse_domain::webhook::{EventKind, WebhookUrlError, check_webhook_url};
use pulse_domain::{Secret, UserId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::caller::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::handlers::pagination::LimitRule;
use crate::state::{ApiState, ApiStore};
use crate::views::{DeliveryAttemptView, DeliveryPage, WebhookEndpointView};

/// The longest endpoint URL accepted.
const MAX_URL_CHARS: usize = 2048;

/// The prefix of a signing secret.
pub(crate) const SECRET_PREFIX: &str = "whsec_";

const ATTEMPT_LIMIT: LimitRule = LimitRule {
    default: 20,
    max: 100,
};

/// An endpoint to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WebhookEndpointUpdate)]
pub(crate) struct EndpointRequest {
    /// The workspace whose events to receive; an admin key may omit it (or send null) for the
    /// endpoint of every workspace.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 255, example = "demo")]
    pub workspace_id: Option<UserId>,
    /// Where to POST deliveries: http or https, with a host.
    #[schema(example = "https://crm.example.com/hooks/pulse", max_length = 2048)]
    pub url: String,
    /// The events to receive (at least one): `sync.completed`, `sync.failed`,
    /// `auto_sync.paused`, `google.reauth_required`.
    #[schema(example = json!(["sync.completed", "sync.failed", "auto_sync.paused", "google.reauth_required"]))]
    pub events: Vec<String>,
}

/// `?workspace_id=U`; an admin key may omit it for the endpoint of every workspace.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct EndpointQuery {
    /// The workspace (CRM user id); omitted (admin key only): the endpoint of every workspace.
    #[param(value_type = Option<String>, min_length = 1, max_length = 255, example = "demo")]
    pub workspace_id: Option<UserId>,
}

/// `?workspace_id=U&limit=20`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveriesQuery {
    /// The workspace (CRM user id); omitted (admin key only): the endpoint of every workspace.
    #[param(value_type = Option<String>, min_length = 1, max_length = 255, example = "demo")]
    pub workspace_id: Option<UserId>,
    /// Attempts to list, newest first: default 20, values above 100 are cut to 100.
    #[param(minimum = 1, example = 20)]
    pub limit: Option<i64>,
}

/// The scope a call may act on: its workspace, or (admin key, no workspace) every workspace.
fn scope(caller: &Caller, workspace: Option<UserId>) -> Result<Option<UserId>, ApiError> {
    match workspace {
        Some(workspace) => {
            caller.authorize(&workspace)?;
            Ok(Some(workspace))
        }
        None if caller.is_admin() => Ok(None),
        None => Err(ApiError::invalid(
            "missing_workspace_id",
            "workspace_id is required (only an admin key may set the endpoint of every workspace)",
            Some("workspace_id"),
        )),
    }
}

/// The URL, checked: http(s) with a host, and not internal unless allowed.
fn checked_url(raw: &str, allow_private: bool) -> Result<String, ApiError> {
    let refused = |message: String| ApiError::invalid("invalid_webhook_url", message, Some("url"));
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(refused(format!(
            "url must be at most {MAX_URL_CHARS} characters"
        )));
    }
    let url = url::Url::parse(raw).map_err(|_| refused(WebhookUrlError::NotHttp.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused(
            "url must not carry a user name or password".to_owned(),
        ));
    }
    let host = match url.host() {
        Some(url::Host::Ipv6(v6)) => Some(v6.to_string()),
        Some(url::Host::Ipv4(v4)) => Some(v4.to_string()),
        Some(url::Host::Domain(name)) => Some(name.to_owned()),
        None => None,
    };
    check_webhook_url(url.scheme(), host.as_deref(), allow_private)
        .map_err(|error| refused(error.to_string()))?;
    Ok(url.to_string())
}

/// The subscribed events, checked, without repeats, in their documented order.
fn checked_events(raw: &[String]) -> Result<Vec<EventKind>, ApiError> {
    if raw.is_empty() {
        return Err(ApiError::invalid(
            "invalid_events",
            "events must name at least one event",
            Some("events"),
        ));
    }
    let mut events = raw
        .iter()
        .map(|name| {
            EventKind::parse(name).map_err(|_| {
                ApiError::invalid(
                    "invalid_events",
                    "events may hold only sync.completed, sync.failed, auto_sync.paused and google.reauth_required",
                    Some("events"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    events.sort();
    events.dedup();
    Ok(events)
}

/// A new signing secret: `whsec_` and 64 hex digits (32 random bytes).
fn generate_secret() -> Result<Secret, ApiError> {
    let mut random = [0_u8; 32];
    getrandom::fill(&mut random)
        .map_err(|error| ApiError::internal(format!("random source failed: {error}")))?;
    Ok(Secret::new(format!(
        "{SECRET_PREFIX}{}",
        hex::encode(random)
    )))
}

/// Sets the workspace's webhook endpoint (replacing the one it had: same id, new URL, events
/// and secret); the answer shows the signing secret this once.
#[utoipa::path(
    put,
    path = "/api/logos-vision/webhooks",
    tag = "webhooks",
    operation_id = "put_webhook_endpoint",
    request_body = EndpointRequest,
    responses((status = 200, description = "The endpoint as stored, with its new signing secret", body = WebhookEndpointView)),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn put_endpoint<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    body: ApiJson<EndpointRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    let workspace = scope(&caller, request.workspace_id)?;
    let url = checked_url(&request.url, state.config.webhook_allow_private)?;
    let events = checked_events(&request.events)?;
    let secret = generate_secret()?;
    let endpoint = state
        .store
        .put_endpoint(
            NewEndpoint {
                workspace: workspace.as_ref(),
                url: &url,
                events: &events,
                secret: &secret,
            },
            state.now(),
        )
        .await?;
    tracing::info!(
        workspace = workspace.as_ref().map_or("*", UserId::as_str),
        endpoint_id = %endpoint.id,
        "webhook endpoint set"
    );
    let view = WebhookEndpointView::new(endpoint, Some(secret.expose().to_owned()));
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(view))
}

/// Reads the workspace's webhook endpoint (without its secret).
#[utoipa::path(
    get,
    path = "/api/logos-vision/webhooks",
    tag = "webhooks",
    operation_id = "get_webhook_endpoint",
    params(EndpointQuery),
    responses(
        (status = 200, description = "The endpoint", body = WebhookEndpointView),
        (status = 404, description = "No endpoint is set", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn get_endpoint<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    query: ApiQuery<EndpointQuery>,
) -> Result<HttpResponse, ApiError> {
    let workspace = scope(&caller, query.0.workspace_id)?;
    let endpoint =
        state
            .store
            .find_endpoint(workspace.as_ref())
            .await?
            .ok_or(ApiError::NotFound {
                code: "webhook_not_found",
                message: "no webhook endpoint is set",
            })?;
    Ok(HttpResponse::Ok().json(WebhookEndpointView::new(endpoint, None)))
}

/// Removes the workspace's webhook endpoint and its pending deliveries; 204 whether or not one
/// was set.
#[utoipa::path(
    delete,
    path = "/api/logos-vision/webhooks",
    tag = "webhooks",
    operation_id = "delete_webhook_endpoint",
    params(EndpointQuery),
    responses((status = 204, description = "No endpoint is set any more")),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn delete_endpoint<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    query: ApiQuery<EndpointQuery>,
) -> Result<HttpResponse, ApiError> {
    let workspace = scope(&caller, query.0.workspace_id)?;
    if state.store.delete_endpoint(workspace.as_ref()).await? {
        tracing::info!(
            workspace = workspace.as_ref().map_or("*", UserId::as_str),
            "webhook endpoint removed"
        );
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The latest delivery attempts to the workspace's endpoint, newest first.
#[utoipa::path(
    get,
    path = "/api/logos-vision/webhooks/deliveries",
    tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    params(DeliveriesQuery),
    responses((status = 200, description = "The latest attempts", body = DeliveryPage)),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn list_deliveries<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    query: ApiQuery<DeliveriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let workspace = scope(&caller, query.workspace_id)?;
    let limit = ATTEMPT_LIMIT.apply(query.limit)?;
    let attempts = state
        .store
        .recent_attempts(workspace.as_ref(), limit)
        .await?;
    Ok(HttpResponse::Ok().json(DeliveryPage {
        items: attempts
            .into_iter()
            .map(DeliveryAttemptView::from)
            .collect(),
    }))
}
