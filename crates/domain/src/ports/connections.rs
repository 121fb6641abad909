//! `ConnectionRepository` and `OAuthStateRepository`: Google grants and pending consents.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::connection::{ConnectionSummary, GoogleConnection, NewConnection};
use crate::ports::StoreError;
use crate::secret::Secret;
use crate::user_id::UserId;

/// Stores users' Google connections, with the refresh token encrypted at rest.
pub trait ConnectionRepository: Send + Sync {
    /// The user's connection, decrypted, or `None` when the user never connected.
    fn find_connection(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<GoogleConnection>, StoreError>> + Send;

    /// The connection's state and account alone, without decrypting anything (so a settings
    /// page still loads when the encryption key is wrong); `None` when the user never connected.
    fn connection_status(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<ConnectionSummary>, StoreError>> + Send;

    /// Stores a fresh grant: status `connected`, the sync token cleared (the next run lists all).
    fn save_connection(
        &self,
        connection: &NewConnection,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<GoogleConnection, StoreError>> + Send;

    /// Forgets the tokens (status `revoked`) and returns the connection as it was, for revoking.
    fn forget_connection(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<GoogleConnection>, StoreError>> + Send;
}

/// The most consents in progress one workspace keeps: starting another drops its oldest, so a
/// key holder cannot fill the table.
pub const MAX_PENDING_CONSENTS_PER_WORKSPACE: i64 = 10;

/// An OAuth consent in progress: kept server-side, single use, short-lived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    /// The random `state` sent to Google.
    pub state: String,
    /// Who is connecting.
    pub user_id: UserId,
    /// The PKCE verifier; it never leaves the server.
    pub pkce_verifier: Secret,
    /// Where to send the browser afterwards (already checked against the allowed origins).
    pub return_to: Option<String>,
    /// When the state stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// SHA-256 (hex) of the cookie that binds the consent to the browser that started it; the
    /// callback refuses the consent from any other browser. `None`: not bound.
    pub browser_binding_hash: Option<String>,
}

/// A grant from a consent started without a browser binding, held until the person who approved
/// it confirms, on a page naming the workspace and the account, that it may connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldGrant {
    /// The connection to save on confirmation.
    pub connection: NewConnection,
    /// Where to send the browser afterwards.
    pub return_to: Option<String>,
    /// When the confirmation stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// Keeps pending OAuth consents until the callback takes them.
pub trait OAuthStateRepository: Send + Sync {
    /// Stores a pending consent, dropping the ones expired at `now` and the workspace's oldest
    /// beyond [`MAX_PENDING_CONSENTS_PER_WORKSPACE`].
    fn save_pending(
        &self,
        pending: &PendingAuthorization,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes and returns the consent for `state`; `None` when unknown, used or expired at `now`.
    fn take_pending(
        &self,
        state: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<PendingAuthorization>, StoreError>> + Send;

    /// Holds a grant until it is confirmed with the token whose SHA-256 (hex) is `token_hash`,
    /// dropping the held grants expired at `now`.
    fn hold_grant(
        &self,
        token_hash: &str,
        held: &HeldGrant,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes and returns the grant held for `token_hash`; `None` when unknown, used or expired
    /// at `now` (so a token is good once).
    fn take_held_grant(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<HeldGrant>, StoreError>> + Send;
}
