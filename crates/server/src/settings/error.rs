//! `SettingsError`: a configuration the process cannot start with; its message names the
//! variable and never shows a secret's value.

use crate::settings::variables::{PULSE_NO_API, PULSE_NO_SCHEDULER};

/// A missing or unusable setting (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A variable that this run needs is not set.
    #[error("{variable} is required: {reason}")]
    Missing {
        /// The variable's name.
        variable: &'static str,
        /// Why it is needed and how to set it.
        reason: String,
    },
    /// A variable holds a value that cannot be used.
    #[error("{variable} is invalid: {reason}")]
    Invalid {
        /// The variable's name.
        variable: &'static str,
        /// What is wrong with it (never the value of a secret).
        reason: String,
    },
    /// A Google variable is missing or invalid (the message names it).
    #[error(transparent)]
    Google(#[from] pulse_google::ConfigError),
    /// `--no-api` and `--no-scheduler` together leave nothing to run.
    #[error(
        "nothing to run: --no-api ({PULSE_NO_API}) and --no-scheduler ({PULSE_NO_SCHEDULER}) were both given"
    )]
    NothingToRun,
}
