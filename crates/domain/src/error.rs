//! Validation errors for values that enter the domain from outside (API requests, CLI flags, rows).

/// Why a value from outside was refused; each variant names the field and a stable error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The workspace id was empty after trimming, or longer than 255 characters.
    #[error("workspace_id must be 1 to 255 characters after trimming")]
    UserIdLength,
    /// The workspace id contained a control character.
    #[error("workspace_id must not contain control characters")]
    UserIdControlCharacter,
    /// The interval was not a whole number of hours from 1 to 720.
    #[error("interval_hours must be a whole number from 1 to 720")]
    IntervalOutOfRange,
    /// A stored enum value was not one of the known names.
    #[error("unknown {field} value '{value}'")]
    UnknownVariant {
        /// The field that held the value.
        field: &'static str,
        /// The value that was not recognised.
        value: String,
    },
    /// A change feed cursor (`after`) that this server did not issue.
    #[error("after is not a change feed cursor this server issued")]
    InvalidChangeCursor,
}

impl ValidationError {
    /// The stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UserIdLength | Self::UserIdControlCharacter => "invalid_workspace_id",
            Self::IntervalOutOfRange => "invalid_interval",
            Self::UnknownVariant { .. } => "invalid_value",
            Self::InvalidChangeCursor => "invalid_cursor",
        }
    }

    /// The request field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::UserIdLength | Self::UserIdControlCharacter => "workspace_id",
            Self::IntervalOutOfRange => "interval_hours",
            Self::UnknownVariant { field, .. } => field,
            Self::InvalidChangeCursor => "after",
        }
    }
}
