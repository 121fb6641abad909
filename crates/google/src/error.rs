//! `ConfigError`: why the Google configuration could not be read.

/// A configuration value is missing or unusable; the message names the variable, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("{variable} is required but not set")]
    Missing {
        /// The variable's name.
        variable: &'static str,
    },
    /// A variable holds a value that cannot be used.
    #[error("{variable} is invalid: {reason}")]
    Invalid {
        /// The variable's name.
        variable: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built (TLS setup).
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
}
