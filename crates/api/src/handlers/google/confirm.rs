//! `POST /api/logos-vision/google/callback/confirm`: the confirmation page's button. The one-time
//! token takes the held grant (single use, expiring); `connect` saves it exactly as the callback
//! saves a browser-bound grant, and the answer is the callback's. Cancelling connects nothing
//! and revokes the grant at Google.

use std::fmt;

use actix_web::{HttpResponse, web};
use pulse_domain::ports::{GoogleAuthorizer, HeldGrant};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::handlers::google::callback::{Failure, answer, connect};
use crate::handlers::google::one_time_token::hash_of;
use crate::state::{ApiState, ApiStore};
use crate::views::StatusView;

/// The longest token accepted (tokens are 64 hex characters).
const MAX_TOKEN_CHARS: usize = 128;

/// The redirect's reason when the person cancelled on the confirmation page.
const CANCELLED: &str = "cancelled";

/// What the confirmation page's form sends; `Debug` hides the token.
#[derive(Deserialize, ToSchema)]
pub(crate) struct ConfirmForm {
    /// The page's one-time token.
    pub token: String,
    /// `connect` (the default) or `cancel`.
    pub decision: Option<Decision>,
}

impl fmt::Debug for ConfirmForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfirmForm")
            .field("token", &"[redacted]")
            .field("decision", &self.decision)
            .finish()
    }
}

/// The button pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Decision {
    /// Connect the account.
    Connect,
    /// Connect nothing.
    Cancel,
}

/// Connects (or, on `cancel`, drops) the grant the confirmation page named, then answers as the
/// callback does.
#[utoipa::path(
    post,
    path = "/api/logos-vision/google/callback/confirm",
    tag = "google",
    operation_id = "google_callback_confirm",
    request_body(content = ConfirmForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Back to `return_to` with `google=connected` or `google=error&reason=...`"),
        (status = 200, description = "Connected (the consent had no `return_to`)", body = StatusView),
    )
)]
pub(crate) async fn confirm<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    let now = state.now();
    let held = take_held(&state, &form.token, now).await?;
    let workspace = &held.connection.user_id;
    let outcome = match form.decision.unwrap_or(Decision::Connect) {
        Decision::Connect => connect(&state, &held.connection, now).await,
        Decision::Cancel => {
            tracing::info!(workspace = %workspace, "a held Google grant was cancelled");
            if let Err(error) = state
                .authorizer
                .revoke(&held.connection.refresh_token)
                .await
            {
                tracing::warn!(workspace = %workspace, %error, "revoking a cancelled grant failed");
            }
            Err(Failure::refused(
                CANCELLED,
                "the connection was cancelled; nothing was connected",
            ))
        }
    };
    answer(outcome, held.return_to.as_deref())
}

/// The grant held for `token`, taken so it cannot be used again.
async fn take_held<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: &ApiState<S, A>,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<HeldGrant, ApiError> {
    let invalid = || {
        ApiError::invalid(
            "invalid_confirmation",
            "the confirmation is unknown, already used or expired; start connecting again",
            Some("token"),
        )
    };
    if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
        return Err(invalid());
    }
    state
        .store
        .take_held_grant(&hash_of(token), now)
        .await?
        .ok_or_else(invalid)
}
