//! Turns port errors into the failure a person reads on the job and the settings card.

use crate::error_id::ErrorId;
use crate::ports::{SourceError, StoreError};
use crate::schedule::{FailureKind, SyncFailure};

/// Shown when Google refused the grant.
pub const REAUTH_MESSAGE: &str = "Google access was revoked; reconnect Google";

/// Shown when the user never connected Google (or disconnected).
pub const NOT_CONNECTED_MESSAGE: &str = "Google is not connected; connect Google to sync contacts";

/// An error of either side of a sync, as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// Google's side failed.
    Source(SourceError),
    /// The database failed.
    Store(StoreError),
    /// The user has no usable Google connection.
    NotConnected,
}

/// The failure kind, the message for a person, and whether another attempt may help. A database
/// failure is internal: the person reads a fixed message with an error id, the detail is logged
/// with the same id.
pub fn failure_for(error: &RunError) -> (SyncFailure, bool) {
    let (kind, message, retryable) = match error {
        RunError::NotConnected => (
            FailureKind::Authorization,
            NOT_CONNECTED_MESSAGE.to_owned(),
            false,
        ),
        RunError::Source(SourceError::ReauthRequired { .. }) => {
            (FailureKind::Authorization, REAUTH_MESSAGE.to_owned(), false)
        }
        RunError::Source(SourceError::Transient { detail }) => (
            FailureKind::Transient,
            format!("Google is unavailable right now ({detail})"),
            true,
        ),
        RunError::Source(SourceError::Malformed { endpoint, .. }) => (
            FailureKind::Transient,
            format!("Google sent a response that could not be read ({endpoint})"),
            true,
        ),
        RunError::Source(SourceError::Rejected { status, detail }) => (
            FailureKind::Transient,
            format!("Google refused the request ({status}): {detail}"),
            false,
        ),
        RunError::Source(SourceError::SyncTokenExpired) => (
            FailureKind::Transient,
            "Google's sync token expired twice in one run".to_owned(),
            true,
        ),
        RunError::Store(StoreError::Crypto(detail)) => (
            FailureKind::Transient,
            format!(
                "the stored Google grant cannot be decrypted ({detail}); check PULSE_ENCRYPTION_KEY"
            ),
            false,
        ),
        RunError::Store(other) => {
            let error_id = ErrorId::new();
            tracing::error!(%error_id, detail = %other, "the database failed during a sync");
            (
                FailureKind::Transient,
                error_id.message(" during the sync"),
                true,
            )
        }
    };
    (SyncFailure { kind, message }, retryable)
}
