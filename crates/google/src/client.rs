//! `GoogleClient`: the domain's `ContactsSource` and `GoogleAuthorizer` over one HTTP client, one
//! set of rate limiters and one access-token cache.

use std::sync::Arc;

use pulse_domain::ports::{ContactsSource, ListingMode, SourceError};
use pulse_domain::{Secret, UserId};
use reqwest::{StatusCode, Url};

use crate::config::GoogleConfig;
use crate::error::ConfigError;
use crate::google_error::classify_failure;
use crate::listing::GoogleListing;
use crate::oauth::{OAuth, transient};
use crate::rate_limit::RateLimits;
use crate::token_cache::TokenCache;
use crate::transport::Transport;
use crate::wire::ConnectionsPage;

/// The connections endpoint, as named in errors and logs (never with its query string).
pub(crate) const CONNECTIONS_ENDPOINT: &str = "GET people/me/connections";

/// Talks to Google: lists contacts and runs the OAuth2 flow. Cheap to clone; clones share the
/// limiters and the token cache.
#[derive(Clone)]
pub struct GoogleClient {
    inner: Arc<ClientInner>,
}

/// What every listing of a client shares.
pub(crate) struct ClientInner {
    /// HTTP with limits and retries.
    pub transport: Transport,
    /// The OAuth2 client.
    pub oauth: OAuth,
    /// Access tokens per grant.
    pub tokens: TokenCache,
    connections_url: Url,
    /// `people/me`, for the connected account's email.
    pub profile_url: Url,
    /// `pageSize` of every listing request.
    pub page_size: u32,
    limits: Arc<RateLimits>,
}

impl GoogleClient {
    /// A client with its own rate limiters, built from `config.rate_limits`.
    pub fn new(config: &GoogleConfig) -> Result<Self, ConfigError> {
        Self::with_rate_limits(config, Arc::new(RateLimits::new(&config.rate_limits)))
    }

    /// A client that waits on the given limiters (shared with other clients of the process).
    pub fn with_rate_limits(
        config: &GoogleConfig,
        limits: Arc<RateLimits>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            inner: Arc::new(ClientInner {
                transport: Transport::new(config, limits.clone())?,
                oauth: OAuth::new(config),
                tokens: TokenCache::new(config.token_refresh_margin),
                connections_url: config.connections_url(),
                profile_url: config.profile_url(),
                page_size: config.page_size,
                limits,
            }),
        })
    }

    /// The limiters this client waits on.
    pub fn rate_limits(&self) -> &Arc<RateLimits> {
        &self.inner.limits
    }

    pub(crate) fn inner(&self) -> &ClientInner {
        &self.inner
    }
}

impl std::fmt::Debug for GoogleClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleClient")
            .field("connections_url", &self.inner.connections_url.as_str())
            .finish_non_exhaustive()
    }
}

impl ClientInner {
    /// A valid access token for the grant, refreshed (once for all concurrent callers) if needed.
    async fn access_token(
        &self,
        user: &UserId,
        refresh_token: &Secret,
    ) -> Result<Secret, SourceError> {
        self.tokens
            .access_token(user, refresh_token, || {
                self.oauth.refresh(&self.transport, user, refresh_token)
            })
            .await
    }

    /// One `people.connections.list` call; a 401 drops the access token, refreshes it and tries
    /// once more.
    pub async fn list_connections(
        &self,
        user: &UserId,
        refresh_token: &Secret,
        query: &[(&str, &str)],
    ) -> Result<ConnectionsPage, SourceError> {
        let mut refreshed_after_401 = false;
        loop {
            let token = self.access_token(user, refresh_token).await?;
            let response = self
                .transport
                .send(CONNECTIONS_ENDPOINT, Some(user), |http| {
                    http.get(self.connections_url.clone())
                        .query(query)
                        .bearer_auth(token.expose())
                })
                .await
                .map_err(transient)?;
            match response.status {
                status if status.is_success() => {
                    return serde_json::from_slice(&response.body).map_err(|error| {
                        SourceError::Malformed {
                            endpoint: CONNECTIONS_ENDPOINT.to_owned(),
                            detail: error.to_string(),
                        }
                    });
                }
                StatusCode::UNAUTHORIZED if !refreshed_after_401 => {
                    tracing::info!(user = %user, "Google refused the access token; refreshing it once");
                    self.tokens.invalidate(user, refresh_token, &token).await;
                    refreshed_after_401 = true;
                }
                StatusCode::UNAUTHORIZED => {
                    return Err(SourceError::Transient {
                        detail: format!(
                            "{CONNECTIONS_ENDPOINT}: a freshly refreshed access token was refused"
                        ),
                    });
                }
                status => return Err(classify_failure(status, &response.body)),
            }
        }
    }
}

impl ContactsSource for GoogleClient {
    type Listing = GoogleListing;

    fn open_listing(
        &self,
        user: &UserId,
        refresh_token: &Secret,
        mode: ListingMode,
    ) -> GoogleListing {
        GoogleListing::new(
            self.inner.clone(),
            user.clone(),
            refresh_token.clone(),
            mode,
        )
    }
}
