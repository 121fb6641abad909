//! The domain's `GoogleAuthorizer` for `GoogleClient`: the consent URL (PKCE S256, random state,
//! offline access, forced consent, incremental scopes), the code exchange, the connected account's
//! email and revocation.

use chrono::Utc;
use oauth2::basic::BasicTokenResponse;
use oauth2::{
    AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope, TokenResponse,
};
use pulse_domain::Secret;
use pulse_domain::ports::{AuthorizationRequest, GoogleAuthorizer, SourceError, TokenGrant};
use reqwest::StatusCode;
use serde::Deserialize;

use crate::client::GoogleClient;
use crate::config::{ACCOUNT_EMAIL_SCOPE, CONTACTS_READONLY_SCOPE};
use crate::oauth::{OAuthHttp, token_error, transient};

/// The revocation endpoint, as named in errors and logs.
pub(crate) const REVOKE_ENDPOINT: &str = "POST oauth2 revoke";

impl GoogleAuthorizer for GoogleClient {
    fn authorization_request(&self) -> Result<AuthorizationRequest, SourceError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .inner()
            .oauth
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new(CONTACTS_READONLY_SCOPE.to_owned()))
            .add_scope(Scope::new(ACCOUNT_EMAIL_SCOPE.to_owned()))
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent")
            .add_extra_param("include_granted_scopes", "true")
            .set_pkce_challenge(challenge)
            .url();
        Ok(AuthorizationRequest {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: Secret::new(verifier.secret().clone()),
        })
    }

    /// `invalid_grant` here (a used, expired or forged code, or a wrong verifier) is reported as
    /// `ReauthRequired`: the user has to go through consent again.
    async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &Secret,
    ) -> Result<TokenGrant, SourceError> {
        let inner = self.inner();
        let http = OAuthHttp::new(&inner.transport, None);
        let response = inner
            .oauth
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.expose().to_owned()))
            .request_async(&http)
            .await
            .map_err(token_error)?;
        Ok(token_grant(&response))
    }

    async fn account_email(&self, access_token: &Secret) -> Result<Option<String>, SourceError> {
        self.inner().account_email(access_token).await
    }

    /// Revokes a refresh or access token (`POST token=...`) and forgets its cached access token;
    /// a token Google no longer knows counts as revoked.
    async fn revoke(&self, token: &Secret) -> Result<(), SourceError> {
        let inner = self.inner();
        let response = inner
            .transport
            .send(REVOKE_ENDPOINT, None, |http| {
                http.post(inner.oauth.revoke_url.clone())
                    .form(&[("token", token.expose())])
            })
            .await
            .map_err(transient)?;
        inner.tokens.forget(token);
        if response.status.is_success() {
            return Ok(());
        }
        let error = OAuthErrorBody::parse(&response.body);
        if response.status == StatusCode::BAD_REQUEST
            && error.error.as_deref() == Some("invalid_token")
        {
            tracing::info!("the Google token was already revoked or expired");
            return Ok(());
        }
        Err(SourceError::Rejected {
            status: response.status.as_u16(),
            detail: error.describe(response.status),
        })
    }
}

fn token_grant(response: &BasicTokenResponse) -> TokenGrant {
    TokenGrant {
        refresh_token: response
            .refresh_token()
            .map(|token| Secret::new(token.secret().clone())),
        access_token: Secret::new(response.access_token().secret().clone()),
        expires_at: response
            .expires_in()
            .and_then(|lifetime| chrono::Duration::from_std(lifetime).ok())
            .and_then(|lifetime| Utc::now().checked_add_signed(lifetime)),
        scopes: response
            .scopes()
            .map(|scopes| scopes.iter().map(|scope| scope.to_string()).collect())
            .unwrap_or_default(),
    }
}

/// An OAuth error body (`{"error": "...", "error_description": "..."}`).
#[derive(Debug, Default, Deserialize)]
struct OAuthErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl OAuthErrorBody {
    fn parse(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_default()
    }

    fn describe(&self, status: StatusCode) -> String {
        match (&self.error, &self.error_description) {
            (Some(error), Some(description)) => format!("{error}: {description}"),
            (Some(error), None) => error.clone(),
            _ => format!("HTTP {}", status.as_u16()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use reqwest::Url;

    use super::*;
    use crate::config::GoogleConfig;

    fn client() -> GoogleClient {
        let config = GoogleConfig::new(
            "client-1",
            Secret::new("shh"),
            "https://crm.example/callback",
        )
        .unwrap();
        GoogleClient::new(&config).unwrap()
    }

    fn params(url: &str) -> HashMap<String, String> {
        Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    #[test]
    fn the_consent_url_asks_for_offline_contacts_access_with_pkce() {
        let request = client().authorization_request().unwrap();
        assert!(
            request
                .url
                .starts_with("https://accounts.google.com/o/oauth2/v2/auth?")
        );
        let params = params(&request.url);
        assert_eq!(params["client_id"], "client-1");
        assert_eq!(params["redirect_uri"], "https://crm.example/callback");
        assert_eq!(params["response_type"], "code");
        assert_eq!(
            params["scope"],
            format!("{CONTACTS_READONLY_SCOPE} {ACCOUNT_EMAIL_SCOPE}")
        );
        assert_eq!(params["access_type"], "offline");
        assert_eq!(params["prompt"], "consent");
        assert_eq!(params["include_granted_scopes"], "true");
        assert_eq!(params["code_challenge_method"], "S256");
        assert_eq!(params["state"], request.state);
        assert_eq!(params["code_challenge"].len(), 43);
        assert!(!params.contains_key("client_secret"));
        assert!(!request.url.contains(request.pkce_verifier.expose()));
    }

    #[test]
    fn every_consent_url_has_its_own_state_and_verifier() {
        let client = client();
        let first = client.authorization_request().unwrap();
        let second = client.authorization_request().unwrap();
        assert_ne!(first.state, second.state);
        assert_ne!(first.pkce_verifier, second.pkce_verifier);
        assert_ne!(
            params(&first.url)["code_challenge"],
            params(&second.url)["code_challenge"]
        );
        assert_eq!(format!("{:?}", first.pkce_verifier), "Secret([redacted])");
    }
}
