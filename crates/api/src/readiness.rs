//! `ReadinessProbe`: how `/readyz` learns that the database answers and its migrations are current.

use futures::future::BoxFuture;

/// Why the server is not ready; the detail is logged, only the summary is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotReady {
    /// The database does not answer.
    #[error("the database does not answer")]
    DatabaseUnavailable {
        /// What failed, logged only.
        detail: String,
    },
    /// Migrations are missing or unknown to this build.
    #[error("the database migrations are not current")]
    MigrationsNotCurrent {
        /// Which migrations, logged only.
        detail: String,
    },
}

impl NotReady {
    /// The detail to log.
    pub fn detail(&self) -> &str {
        match self {
            Self::DatabaseUnavailable { detail } | Self::MigrationsNotCurrent { detail } => detail,
        }
    }
}

/// Checks the server's dependencies; the server implements it over its storage.
pub trait ReadinessProbe: Send + Sync + 'static {
    /// `Ok` when the database answers and its migrations are current.
    fn check(&self) -> BoxFuture<'_, Result<(), NotReady>>;
}
