//! The errors ports report, independent of the database or HTTP library behind them.

use uuid::Uuid;

/// A storage port's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or timed out; retrying later may work.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The write was fenced out: the job's lease belongs to another attempt or worker now.
    #[error("the job's lease was lost to another attempt")]
    LeaseLost,
    /// A pagination cursor that this store did not issue.
    #[error("invalid cursor")]
    InvalidCursor,
    /// A stored secret could not be decrypted (wrong or missing encryption key).
    #[error("cannot decrypt a stored secret: {0}")]
    Crypto(String),
    /// A stored row holds a value the domain does not accept.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(String),
}

/// Why a manual job could not be queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnqueueError {
    /// The user already has a queued or running job.
    #[error("a sync is already queued or running")]
    AlreadyActive {
        /// The active job.
        job_id: Uuid,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A Google port's failure, typed so the caller can react (fall back, pause, retry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The sync token expired or is invalid: list everything again.
    #[error("the sync token expired")]
    SyncTokenExpired,
    /// Google refused the grant (`invalid_grant`): the user must reconnect.
    #[error("Google access was revoked or expired: {detail}")]
    ReauthRequired {
        /// Google's description, without any token.
        detail: String,
    },
    /// Network failure, timeout, 5xx, or 429 after the retries ran out.
    #[error("Google is unavailable: {detail}")]
    Transient {
        /// What failed.
        detail: String,
    },
    /// Google answered with a body we cannot read.
    #[error("malformed response from {endpoint}: {detail}")]
    Malformed {
        /// The endpoint that answered.
        endpoint: String,
        /// What was wrong with the body.
        detail: String,
    },
    /// Google refused the request for a reason retrying does not fix (a 4xx other than 401/429).
    #[error("Google refused the request ({status}): {detail}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Google's message.
        detail: String,
    },
}

impl SourceError {
    /// Whether this failure needs the user to reconnect Google.
    pub fn is_reauth(&self) -> bool {
        matches!(self, Self::ReauthRequired { .. })
    }
}
