//! A user's Google connection: the grant (refresh token), its state, and the People API sync token.

use chrono::{DateTime, Utc};

use crate::error::ValidationError;
use crate::secret::Secret;
use crate::user_id::UserId;

/// The state of a user's Google grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// The grant works.
    Connected,
    /// Google refused the grant; the user must reconnect.
    ReauthRequired,
    /// The user disconnected; tokens are forgotten.
    Revoked,
}

impl ConnectionStatus {
    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::ReauthRequired => "reauth_required",
            Self::Revoked => "revoked",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw {
            "connected" => Ok(Self::Connected),
            "reauth_required" => Ok(Self::ReauthRequired),
            "revoked" => Ok(Self::Revoked),
            other => Err(ValidationError::UnknownVariant {
                field: "connection_status",
                value: other.to_owned(),
            }),
        }
    }
}

/// A connection's state and Google account, read without opening any secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSummary {
    /// Connected, re-authorization required, or revoked.
    pub status: ConnectionStatus,
    /// The email of the Google account that connected, when Google named it.
    pub google_email: Option<String>,
}

impl ConnectionSummary {
    /// The account to show as connected: none once the user disconnected.
    pub fn shown_email(&self) -> Option<&str> {
        match self.status {
            ConnectionStatus::Connected | ConnectionStatus::ReauthRequired => {
                self.google_email.as_deref()
            }
            ConnectionStatus::Revoked => None,
        }
    }
}

/// A stored Google connection with its refresh token decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleConnection {
    /// Whose connection this is.
    pub user_id: UserId,
    /// Google's account id, when known.
    pub google_account_id: Option<String>,
    /// The Google account's email, when known.
    pub google_email: Option<String>,
    /// The refresh token, decrypted in memory only (encrypted at rest); `None` once forgotten.
    pub refresh_token: Option<Secret>,
    /// When the last access token expires.
    pub access_token_expires_at: Option<DateTime<Utc>>,
    /// The scopes Google granted.
    pub scopes: Vec<String>,
    /// The People API sync token of the last completed listing.
    pub sync_token: Option<Secret>,
    /// When that sync token was issued.
    pub sync_token_issued_at: Option<DateTime<Utc>>,
    /// Connected, re-authorization required, or revoked.
    pub status: ConnectionStatus,
    /// When the user first connected.
    pub created_at: DateTime<Utc>,
    /// When the connection last changed.
    pub updated_at: DateTime<Utc>,
    /// Which grant this is: every connect and disconnect moves it on, and a sync run's writes to
    /// the connection land only while the generation it loaded is current.
    pub generation: i64,
}

/// What a completed OAuth consent gives us to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConnection {
    /// Whose connection this is.
    pub user_id: UserId,
    /// Google's account id, when known.
    pub google_account_id: Option<String>,
    /// The Google account's email, when known.
    pub google_email: Option<String>,
    /// The refresh token to encrypt and store.
    pub refresh_token: Secret,
    /// When the first access token expires.
    pub access_token_expires_at: Option<DateTime<Utc>>,
    /// The scopes Google granted.
    pub scopes: Vec<String>,
}
