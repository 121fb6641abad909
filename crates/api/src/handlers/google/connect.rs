//! `POST /api/logos-vision/google/connect`: starts the OAuth consent. The state and the PKCE
//! verifier stay on the server (single use, short-lived); the client gets the consent URL to open.

use actix_web::http::header::SET_COOKIE;
use actix_web::{HttpResponse, web};
use chrono::TimeDelta;
use pulse_domain::UserId;
use pulse_domain::ports::{GoogleAuthorizer, PendingAuthorization};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::caller::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::handlers::google::browser_binding::{new_binding, set_cookie};
use crate::handlers::google::return_to::checked_return_to;
use crate::state::{ApiState, ApiStore};
use crate::views::AuthorizationUrl;

/// Who connects, and where the browser returns afterwards.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GoogleConnectRequest)]
pub(crate) struct ConnectRequest {
    /// The workspace (CRM user id).
    #[schema(value_type = String, min_length = 1, max_length = 255, example = "demo")]
    pub workspace_id: UserId,
    /// Where to send the browser after the consent: this server's origin or one of
    /// `PULSE_CORS_ORIGINS`. Without it the callback answers JSON.
    #[serde(default)]
    #[schema(example = "http://127.0.0.1:3003/")]
    pub return_to: Option<String>,
    /// Bind the consent to the browser that sends this request (a frontend calling from the
    /// user's browser): the answer sets an HttpOnly cookie, and the callback refuses the consent
    /// in any other browser. The settings page always asks for it.
    #[serde(default)]
    #[schema(example = true)]
    pub bind_browser: bool,
}

/// Starts connecting the workspace's Google account.
#[utoipa::path(
    post,
    path = "/api/logos-vision/google/connect",
    tag = "google",
    operation_id = "start_google_connect",
    request_body = ConnectRequest,
    responses((status = 200, description = "The consent URL to open (with `bind_browser`, also a `Set-Cookie` binding the consent to this browser)", body = AuthorizationUrl)),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn connect<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    body: ApiJson<ConnectRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    caller.authorize(&request.workspace_id)?;
    let return_to = request
        .return_to
        .as_deref()
        .map(|raw| checked_return_to(&state.config, raw))
        .transpose()?;
    let consent = state
        .authorizer
        .authorization_request()
        .map_err(|error| ApiError::internal(format!("cannot build the consent URL: {error}")))?;
    let lifetime = TimeDelta::from_std(state.config.oauth_state_ttl)
        .map_err(|_| ApiError::internal("the OAuth state lifetime is out of range"))?;
    let binding = request.bind_browser.then(new_binding);
    let now = state.now();
    let pending = PendingAuthorization {
        browser_binding_hash: binding.as_ref().map(|(_, hash)| hash.clone()),
        state: consent.state,
        user_id: request.workspace_id,
        pkce_verifier: consent.pkce_verifier,
        return_to: return_to.map(String::from),
        expires_at: now + lifetime,
    };
    state.store.save_pending(&pending, now).await?;
    tracing::info!(workspace = %pending.user_id, "Google consent started");
    let mut response = HttpResponse::Ok();
    if let Some((value, _)) = &binding {
        response.insert_header((SET_COOKIE, set_cookie(&state.config, value)));
    }
    Ok(response.json(AuthorizationUrl {
        authorization_url: consent.url,
    }))
}
