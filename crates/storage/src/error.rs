//! `StorageError`: what can go wrong in this crate, and how it maps onto the domain's `StoreError`.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use pulse_domain::ports::StoreError;

use crate::connection::ConnectError;
use crate::crypto::CryptoError;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A connection to the database could not be opened.
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    /// The database URL is invalid, its TLS roots unusable, or its server unreachable.
    #[error(transparent)]
    Connection(#[from] ConnectError),
    /// The pool gave no connection (timed out, closed, or could not connect).
    #[error("no database connection available: {0}")]
    Pool(String),
    /// A query failed.
    #[error("query failed: {0}")]
    Query(#[from] DieselError),
    /// Running the migrations failed.
    #[error("migrations failed: {0}")]
    Migration(String),
    /// Sealing or opening a secret failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// A stored row holds a value the domain refuses.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// A pagination cursor this store did not issue.
    #[error("invalid cursor")]
    InvalidCursor,
    /// A write fenced out because the job's lease now belongs to another attempt.
    #[error("the job's lease was lost to another attempt")]
    LeaseLost,
    /// A blocking task (migrations) panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for StorageError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::Pool(error.to_string())
    }
}

impl From<pulse_domain::ValidationError> for StorageError {
    fn from(error: pulse_domain::ValidationError) -> Self {
        Self::Corrupt(error.to_string())
    }
}

/// Server messages that mean the server is going away or not yet up (SQLSTATE class 57P).
const UNAVAILABLE_MESSAGES: [&str; 5] = [
    "terminating connection",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
];

/// Server messages of a statement cancelled by `statement_timeout` or `lock_timeout`: the
/// database is too busy (or a lock is held too long) right now, which a retry may outlast.
const TIMEOUT_MESSAGES: [&str; 2] = [
    "canceling statement due to statement timeout",
    "canceling statement due to lock timeout",
];

impl StorageError {
    /// Whether retrying later may succeed: the database was unreachable, not the request wrong.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Connect(_) | Self::Pool(_) => true,
            Self::Connection(error) => error.is_transient(),
            Self::Query(error) => is_connection_failure(error),
            _ => false,
        }
    }

    /// Whether this is a violation of the named constraint or unique index.
    pub fn is_constraint_violation(&self, constraint: &str) -> bool {
        matches!(
            self,
            Self::Query(DieselError::DatabaseError(_, info))
                if info.constraint_name() == Some(constraint)
        )
    }
}

fn is_connection_failure(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection,
            _,
        ) => true,
        DieselError::DatabaseError(_, info) => UNAVAILABLE_MESSAGES
            .iter()
            .chain(TIMEOUT_MESSAGES.iter())
            .any(|message| info.message().starts_with(message)),
        DieselError::BrokenTransactionManager => true,
        _ => false,
    }
}

impl From<StorageError> for StoreError {
    fn from(error: StorageError) -> Self {
        if error.is_unavailable() {
            return StoreError::Unavailable(error.to_string());
        }
        match error {
            StorageError::Crypto(crypto) => StoreError::Crypto(crypto.to_string()),
            StorageError::Corrupt(detail) => StoreError::Corrupt(detail),
            StorageError::InvalidCursor => StoreError::InvalidCursor,
            StorageError::LeaseLost => StoreError::LeaseLost,
            other => StoreError::Database(other.to_string()),
        }
    }
}
