//! `ErrorId`: the short random id that ties a fixed message shown to a tenant to the detailed log
//! line an operator reads.

use std::fmt;

/// Hex characters of an error id (48 random bits: unique enough to find one log line).
const ERROR_ID_HEX_CHARS: usize = 12;

/// What a tenant reads when something failed on our side; the detail is logged with the id.
pub const INTERNAL_ERROR_MESSAGE: &str = "something went wrong on our side";

/// A fresh random id for one internal failure.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ErrorId(String);

impl ErrorId {
    /// A new random id.
    pub fn new() -> Self {
        let mut id = uuid::Uuid::new_v4().simple().to_string();
        id.truncate(ERROR_ID_HEX_CHARS);
        Self(id)
    }

    /// The fixed message for a tenant with this id, e.g. "something went wrong on our side
    /// during the sync (error id 3f9a1c2b7d4e)".
    pub fn message(&self, context: &str) -> String {
        format!("{INTERNAL_ERROR_MESSAGE}{context} (error id {self})")
    }
}

impl Default for ErrorId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ErrorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
