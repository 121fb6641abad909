//! The middleware guarding `/api/...`: refuses requests without a valid key (401, or 429 once their
//! client is over its failed-attempt limit), and records the key's scope for [`super::caller::Caller`].

use std::time::{Duration, Instant};

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use pulse_domain::ports::{ApiKeyScope, GoogleAuthorizer};
use sha2::{Digest, Sha256};

use crate::auth::client_address::{ClientKey, client_address};
use crate::auth::credentials::{Presented, presented_key};
use crate::error::ApiError;
use crate::state::{ApiState, ApiStore};

/// Authenticates the request, then calls the route; failures are answered here.
pub(crate) async fn require_api_key<S, A>(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    S: ApiStore,
    A: GoogleAuthorizer + 'static,
{
    let Some(state) = req.app_data::<web::Data<ApiState<S, A>>>().cloned() else {
        let error = ApiError::internal("the API state is not registered");
        return Ok(req.error_response(error));
    };
    match authenticate(&state, &req).await {
        Ok(scope) => {
            req.extensions_mut().insert(scope);
            next.call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
        Err(error) => Ok(req.error_response(error)),
    }
}

async fn authenticate<S, A>(
    state: &ApiState<S, A>,
    req: &ServiceRequest,
) -> Result<ApiKeyScope, ApiError>
where
    S: ApiStore,
    A: GoogleAuthorizer + 'static,
{
    let client = req.peer_addr().map(|peer| {
        ClientKey::of(client_address(
            peer.ip(),
            req.headers(),
            &state.config.trusted_proxies,
        ))
    });
    let started = Instant::now();
    // Only a failed key is counted and limited: a valid key is never refused because of failures
    // from its address, which others behind the same proxy or network may have made.
    let failed = |error: ApiError| {
        tracing::info!(code = error.code(), "authentication failed");
        match client.map(|client| state.auth_failures.record_failure(client, started)) {
            Some(Err(wait)) => ApiError::TooManyAuthFailures {
                retry_after_secs: whole_seconds(wait),
            },
            _ => error,
        }
    };
    let key = match presented_key(req.headers()) {
        Presented::Nothing => return Err(ApiError::MissingApiKey),
        Presented::Malformed => return Err(failed(ApiError::InvalidApiKey)),
        Presented::Key(key) => key,
    };
    let digest: [u8; 32] = Sha256::digest(key.expose().as_bytes()).into();
    let is_admin = state
        .admin_key
        .as_ref()
        .is_some_and(|admin| admin.matches(&digest));
    if is_admin {
        return Ok(ApiKeyScope::Admin);
    }
    let stored = state
        .store
        .authenticate(&hex::encode(digest), state.now())
        .await?;
    match stored {
        Some(record) => Ok(record.scope),
        None => Err(failed(ApiError::InvalidApiKey)),
    }
}

/// A wait rounded up to whole seconds, at least one (for `Retry-After`).
fn whole_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_round_up_to_at_least_a_second() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(2500)), 3);
        assert_eq!(whole_seconds(Duration::from_secs(4)), 4);
    }
}
