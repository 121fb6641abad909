//! `GoogleAuthorizer`: the OAuth2 web-server flow with PKCE (consent URL, code exchange, revoke).

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::ports::SourceError;
use crate::secret::Secret;

/// A consent URL to open, with the state and PKCE verifier to keep server-side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// The URL the browser opens.
    pub url: String,
    /// The random `state` in that URL.
    pub state: String,
    /// The PKCE verifier whose S256 challenge is in that URL.
    pub pkce_verifier: Secret,
}

/// What Google gives for an authorization code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The refresh token (offline access); Google may omit it on a repeated consent.
    pub refresh_token: Option<Secret>,
    /// A short-lived access token.
    pub access_token: Secret,
    /// When the access token expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// The scopes granted.
    pub scopes: Vec<String>,
}

/// The one scope pulse-sync asks for and needs: reading the user's contacts.
pub const CONTACTS_READONLY_SCOPE: &str = "https://www.googleapis.com/auth/contacts.readonly";

impl TokenGrant {
    /// Whether the user left the contacts permission ticked on the consent screen (Google names
    /// every granted scope in the token answer).
    pub fn grants_contacts(&self) -> bool {
        self.scopes
            .iter()
            .any(|scope| scope == CONTACTS_READONLY_SCOPE)
    }
}

/// The scope that lets `people/me` name the account's email address, so the connection can say
/// which Google account connected.
pub const ACCOUNT_EMAIL_SCOPE: &str = "https://www.googleapis.com/auth/userinfo.email";

/// Runs the OAuth2 flow against Google (or the fake Google).
pub trait GoogleAuthorizer: Send + Sync {
    /// A fresh consent URL with a random state and a PKCE challenge.
    fn authorization_request(&self) -> Result<AuthorizationRequest, SourceError>;

    /// Exchanges the code from the callback, proving possession with the PKCE verifier.
    fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &Secret,
    ) -> impl Future<Output = Result<TokenGrant, SourceError>> + Send;

    /// The email address of the account an access token belongs to (`people/me`), or `None`
    /// when Google names none (the email scope was not granted).
    fn account_email(
        &self,
        access_token: &Secret,
    ) -> impl Future<Output = Result<Option<String>, SourceError>> + Send;

    /// Revokes a refresh or access token at Google.
    fn revoke(&self, token: &Secret) -> impl Future<Output = Result<(), SourceError>> + Send;
}
