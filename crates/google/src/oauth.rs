//! The `oauth2` crate's client for Google's endpoints, sending through the rate-limited, retrying
//! `Transport`, and the refresh grant that keeps access tokens coming.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType};
use oauth2::{
    AsyncHttpClient, AuthType, AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    HttpRequest, HttpResponse, RedirectUrl, RefreshToken, RequestTokenError, TokenResponse,
    TokenUrl,
};
use pulse_domain::ports::SourceError;
use pulse_domain::{Secret, UserId};
use reqwest::Url;

use crate::config::GoogleConfig;
use crate::transport::{GaveUp, Transport};

/// The token endpoint, as named in errors and logs.
pub(crate) const TOKEN_ENDPOINT: &str = "POST oauth2 token";
/// The `oauth2` client type with the authorization and token endpoints set.
pub(crate) type TokenClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// A fresh access token from the refresh grant.
pub(crate) struct FreshToken {
    /// The access token.
    pub access_token: Secret,
    /// Its lifetime from now, as Google stated it.
    pub expires_in: Option<Duration>,
}

/// The OAuth2 client for Google's (or the fake's) endpoints.
pub(crate) struct OAuth {
    /// The `oauth2` client.
    pub client: TokenClient,
    /// Where tokens are revoked.
    pub revoke_url: Url,
}

impl OAuth {
    /// Configures the `oauth2` client: credentials in the request body, as Google documents.
    pub fn new(config: &GoogleConfig) -> Self {
        let client = BasicClient::new(ClientId::new(config.client_id.clone()))
            .set_client_secret(ClientSecret::new(config.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::from_url(config.auth_url.clone()))
            .set_token_uri(TokenUrl::from_url(config.token_url.clone()))
            .set_redirect_uri(RedirectUrl::from_url(config.redirect_url.clone()))
            .set_auth_type(AuthType::RequestBody);
        Self {
            client,
            revoke_url: config.revoke_url.clone(),
        }
    }

    /// Trades the refresh token for a new access token.
    pub async fn refresh(
        &self,
        transport: &Transport,
        user: &UserId,
        refresh_token: &Secret,
    ) -> Result<FreshToken, SourceError> {
        let http = OAuthHttp::new(transport, Some(user));
        let refresh_token = RefreshToken::new(refresh_token.expose().to_owned());
        let response = self
            .client
            .exchange_refresh_token(&refresh_token)
            .request_async(&http)
            .await
            .map_err(token_error)?;
        Ok(FreshToken {
            access_token: Secret::new(response.access_token().secret().clone()),
            expires_in: response.expires_in(),
        })
    }
}

/// An `oauth2` HTTP client that sends through the `Transport` (limits, retries, timeouts).
pub(crate) struct OAuthHttp<'a> {
    transport: &'a Transport,
    user: Option<&'a UserId>,
}

impl<'a> OAuthHttp<'a> {
    /// Sends for `user` (and so waits on that user's limit too) when there is one.
    pub fn new(transport: &'a Transport, user: Option<&'a UserId>) -> Self {
        Self { transport, user }
    }
}

impl<'c> AsyncHttpClient<'c> for OAuthHttp<'_> {
    type Error = GaveUp;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, GaveUp>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = parts.uri.to_string();
            let response = self
                .transport
                .send(TOKEN_ENDPOINT, self.user, |http| {
                    http.request(parts.method.clone(), &url)
                        .headers(parts.headers.clone())
                        .body(body.clone())
                })
                .await?;
            let mut builder = oauth2::http::Response::builder().status(response.status);
            for (name, value) in &response.headers {
                builder = builder.header(name, value);
            }
            builder.body(response.body).map_err(|error| GaveUp {
                endpoint: TOKEN_ENDPOINT,
                attempts: 1,
                last: format!("unusable response: {error}"),
            })
        })
    }
}

/// Maps a token-endpoint failure: `invalid_grant` needs the user, a network or 5xx failure is
/// transient, an unreadable body is malformed. No token ever reaches the message.
pub(crate) fn token_error(error: RequestTokenError<GaveUp, BasicErrorResponse>) -> SourceError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let description = response
                .error_description()
                .cloned()
                .unwrap_or_else(|| response.error().to_string());
            match response.error() {
                BasicErrorResponseType::InvalidGrant => SourceError::ReauthRequired {
                    detail: description,
                },
                BasicErrorResponseType::InvalidClient => SourceError::Rejected {
                    status: 401,
                    detail: format!("invalid_client: {description}"),
                },
                other => SourceError::Rejected {
                    status: 400,
                    detail: format!("{other}: {description}"),
                },
            }
        }
        RequestTokenError::Request(gave_up) => transient(gave_up),
        RequestTokenError::Parse(error, _body) => SourceError::Malformed {
            endpoint: TOKEN_ENDPOINT.to_owned(),
            detail: format!("unexpected JSON at `{}`", error.path()),
        },
        RequestTokenError::Other(detail) => SourceError::Malformed {
            endpoint: TOKEN_ENDPOINT.to_owned(),
            detail,
        },
    }
}

/// A request that exhausted its retries.
pub(crate) fn transient(gave_up: GaveUp) -> SourceError {
    SourceError::Transient {
        detail: gave_up.to_string(),
    }
}
