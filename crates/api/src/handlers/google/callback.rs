//! `GET /api/logos-vision/google/callback`: where Google sends the browser back. The single-use
//! state authenticates it; the code is exchanged with the stored PKCE verifier and the grant
//! checked. A consent bound to a browser is then connected (the grant stored, encrypted by the
//! store, a paused auto-sync unpaused, and the browser sent to `return_to`); an unbound one is
//! held, and the answer is a page asking to confirm (see `confirm`).

use std::fmt;

use actix_web::http::header::{CACHE_CONTROL, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, TimeDelta, Utc};
use pulse_domain::ports::{GoogleAuthorizer, HeldGrant, PendingAuthorization};
use pulse_domain::{ConfigUpdate, NewConnection, Secret, UserId, apply_update};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::handlers::google::browser_binding::carries_binding;
use crate::handlers::google::confirmation_page::confirmation_page;
use crate::handlers::google::one_time_token::new_token;
use crate::handlers::google::return_to::with_outcome;
use crate::state::{ApiState, ApiStore};
use crate::views::StatusView;

/// The longest `state` accepted.
const MAX_STATE_CHARS: usize = 512;

/// Google's error codes are short snake-case words; anything else is reported generically.
const MAX_REASON_CHARS: usize = 40;

/// The redirect's reason when the consent was completed in another browser than it was started in.
const OTHER_BROWSER: &str = "other_browser";

/// What the person is told then (nothing was connected).
const OTHER_BROWSER_MESSAGE: &str =
    "this sign-in was started in another browser; start connecting again from this one";

/// The redirect's reason when the user unticked the contacts permission on the consent screen.
const MISSING_CONTACTS_SCOPE: &str = "missing_contacts_scope";

/// What Google adds to the redirect (other parameters it sends are ignored); `Debug` hides the
/// code and the state.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CallbackQuery {
    /// The state from the consent URL.
    pub state: Option<String>,
    /// The authorization code, on success.
    pub code: Option<String>,
    /// Google's error code, e.g. `access_denied`, on refusal.
    pub error: Option<String>,
}

impl fmt::Debug for CallbackQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "[redacted]");
        f.debug_struct("CallbackQuery")
            .field("state", &redacted(&self.state))
            .field("code", &redacted(&self.code))
            .field("error", &self.error)
            .finish()
    }
}

/// Why finishing the consent failed: a short reason for the redirect, and what to answer when
/// there is nowhere to redirect.
pub(crate) struct Failure {
    reason: String,
    error: ApiError,
}

impl Failure {
    pub(crate) fn refused(reason: impl Into<String>, message: &str) -> Self {
        Self {
            reason: reason.into(),
            error: ApiError::invalid("google_connect_failed", message, None),
        }
    }

    pub(crate) fn server(error: ApiError) -> Self {
        Self {
            reason: "server_error".to_owned(),
            error,
        }
    }
}

/// Finishes the consent: a consent bound to a browser is connected and the browser redirected to
/// `return_to` with `google=connected` or `google=error&reason=...` (or answered JSON when the
/// consent had no `return_to`); an unbound consent's grant is held and a page asks to confirm it.
#[utoipa::path(
    get,
    path = "/api/logos-vision/google/callback",
    tag = "google",
    operation_id = "google_callback",
    params(CallbackQuery),
    responses(
        (status = 303, description = "Back to `return_to` with `google=connected` or `google=error&reason=...`"),
        (status = 200, description = "Connected (a browser-bound consent without `return_to`), as JSON; or, for a consent not bound to a browser, an HTML page naming the workspace and the Google account, whose button confirms the connection", content(
            (StatusView = "application/json"),
            (String = "text/html"),
        )),
    )
)]
pub(crate) async fn callback<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    req: HttpRequest,
    query: ApiQuery<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let now = state.now();
    let pending = take_pending(&state, query.state.as_deref(), now).await?;
    let return_to = pending.return_to.as_deref();
    let connection = match &pending.browser_binding_hash {
        Some(expected) if !carries_binding(&req, expected) => {
            tracing::warn!(workspace = %pending.user_id, "a consent bound to another browser was refused");
            Err(Failure::refused(OTHER_BROWSER, OTHER_BROWSER_MESSAGE))
        }
        _ => finish(&state, &pending, query.code, query.error).await,
    };
    let outcome = match connection {
        Ok(connection) if pending.browser_binding_hash.is_none() => {
            match hold_for_confirmation(&state, connection, pending.return_to.clone(), now).await {
                Ok(page) => return Ok(page),
                Err(failure) => Err(failure),
            }
        }
        Ok(connection) => connect(&state, &connection, now).await,
        Err(failure) => Err(failure),
    };
    answer(outcome, return_to)
}

/// The answer to a finished consent: a redirect to `return_to` with the outcome, or JSON.
pub(crate) fn answer(
    outcome: Result<(), Failure>,
    return_to: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    match (outcome, return_to) {
        (Ok(()), Some(return_to)) => redirect(return_to, &[("google", "connected")]),
        (Ok(()), None) => Ok(HttpResponse::Ok().json(StatusView {
            status: "connected",
        })),
        (Err(failure), Some(return_to)) => {
            failure.error.log();
            redirect(
                return_to,
                &[("google", "error"), ("reason", failure.reason.as_str())],
            )
        }
        (Err(failure), None) => Err(failure.error),
    }
}

/// Holds an unbound consent's grant under a fresh one-time token and answers the page that asks
/// to confirm it.
async fn hold_for_confirmation<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: &ApiState<S, A>,
    connection: NewConnection,
    return_to: Option<String>,
    now: DateTime<Utc>,
) -> Result<HttpResponse, Failure> {
    let lifetime = TimeDelta::from_std(state.config.oauth_state_ttl).map_err(|_| {
        Failure::server(ApiError::internal(
            "the OAuth state lifetime is out of range",
        ))
    })?;
    let (token, token_hash) = new_token();
    let held = HeldGrant {
        connection,
        return_to,
        expires_at: now + lifetime,
    };
    state
        .store
        .hold_grant(&token_hash, &held, now)
        .await
        .map_err(|error| Failure::server(error.into()))?;
    tracing::info!(workspace = %held.connection.user_id, "Google grant held until confirmed");
    Ok(confirmation_page(
        &held.connection.user_id,
        held.connection.google_email.as_deref(),
        &token,
    ))
}

/// The pending consent for `state`, taken so it cannot be used again.
async fn take_pending<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: &ApiState<S, A>,
    raw_state: Option<&str>,
    now: DateTime<Utc>,
) -> Result<PendingAuthorization, ApiError> {
    let invalid = || {
        ApiError::invalid(
            "invalid_state",
            "the consent state is missing, unknown, already used or expired; start connecting again",
            Some("state"),
        )
    };
    let raw_state = raw_state
        .filter(|value| !value.is_empty() && value.chars().count() <= MAX_STATE_CHARS)
        .filter(|value| !value.chars().any(char::is_control))
        .ok_or_else(invalid)?;
    state
        .store
        .take_pending(raw_state, now)
        .await?
        .ok_or_else(invalid)
}

/// Exchanges the code and checks the grant: the connection it would make.
async fn finish<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: &ApiState<S, A>,
    pending: &PendingAuthorization,
    code: Option<String>,
    google_error: Option<String>,
) -> Result<NewConnection, Failure> {
    let workspace = &pending.user_id;
    if let Some(google_error) = google_error {
        tracing::info!(workspace = %workspace, reason = %reason_of(&google_error), "Google consent refused");
        return Err(Failure::refused(
            reason_of(&google_error),
            "Google did not grant access",
        ));
    }
    let code = code
        .filter(|code| !code.is_empty())
        .ok_or_else(|| Failure::refused("missing_code", "Google sent no authorization code"))?;
    let grant = state
        .authorizer
        .exchange_code(&code, &pending.pkce_verifier)
        .await
        .map_err(|error| {
            tracing::warn!(workspace = %workspace, %error, "exchanging the authorization code failed");
            Failure::refused("exchange_failed", "Google did not accept the authorization code")
        })?;
    if !grant.grants_contacts() {
        tracing::warn!(workspace = %workspace, granted = ?grant.scopes, "Google granted no access to the contacts");
        // Nothing is kept of a grant that cannot sync: it is revoked at Google too.
        if let Err(error) = state.authorizer.revoke(&grant.access_token).await {
            tracing::warn!(workspace = %workspace, %error, "revoking the grant without the contacts scope failed");
        }
        return Err(Failure::refused(
            MISSING_CONTACTS_SCOPE,
            "Google did not grant access to the contacts; connect again and tick \"See and download your contacts\" on Google's page",
        ));
    }
    let refresh_token = grant.refresh_token.ok_or_else(|| {
        tracing::warn!(workspace = %workspace, "Google granted no refresh token");
        Failure::refused(
            "missing_refresh_token",
            "Google granted no offline access; remove the app's access in the Google account and connect again",
        )
    })?;
    let google_email = connected_email(state, workspace, &grant.access_token).await;
    let connection = NewConnection {
        user_id: workspace.clone(),
        google_account_id: None,
        google_email,
        refresh_token,
        access_token_expires_at: grant.expires_at,
        scopes: grant.scopes,
    };
    Ok(connection)
}

/// Connects: stores the grant and unpauses a paused auto-sync (the one way a consent connects,
/// bound or confirmed).
pub(crate) async fn connect<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: &ApiState<S, A>,
    connection: &NewConnection,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let workspace = &connection.user_id;
    state
        .store
        .save_connection(connection, now)
        .await
        .map_err(|error| Failure::server(error.into()))?;
    let turn_on = ConfigUpdate {
        user_id: workspace.clone(),
        enabled: true,
        interval_hours: None,
    };
    state
        .store
        .modify_config(workspace, now, |current| {
            current
                .filter(|config| config.enabled && config.paused_reason.is_some())
                .map(|config| apply_update(Some(config), &turn_on, now))
        })
        .await
        .map_err(|error| Failure::server(error.into()))?;
    tracing::info!(workspace = %workspace, "Google connected");
    Ok(())
}

/// The email of the account that granted access (from `people/me`), so the workspace can show
/// who connected; a failure to read it does not stop the connection (it shows no account).
async fn connected_email<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: &ApiState<S, A>,
    workspace: &UserId,
    access_token: &Secret,
) -> Option<String> {
    match state.authorizer.account_email(access_token).await {
        Ok(email) => email,
        Err(error) => {
            tracing::warn!(workspace = %workspace, %error, "reading the connected Google account's email failed");
            None
        }
    }
}

/// Google's error code when it is a plain snake-case word, else a generic reason.
fn reason_of(google_error: &str) -> String {
    let plain = !google_error.is_empty()
        && google_error.len() <= MAX_REASON_CHARS
        && google_error
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte == b'_');
    if plain {
        google_error.to_owned()
    } else {
        "authorization_failed".to_owned()
    }
}

/// A 303 to `return_to` with the outcome added to its query.
fn redirect(return_to: &str, outcome: &[(&str, &str)]) -> Result<HttpResponse, ApiError> {
    let target = with_outcome(return_to, outcome)
        .ok_or_else(|| ApiError::internal("a stored return_to is not a URL"))?;
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, target.as_str()))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_error_codes_pass_through_and_odd_ones_are_generic() {
        assert_eq!(reason_of("access_denied"), "access_denied");
        assert_eq!(reason_of("<script>"), "authorization_failed");
        assert_eq!(reason_of(""), "authorization_failed");
        assert_eq!(reason_of(&"a".repeat(41)), "authorization_failed");
    }
}
