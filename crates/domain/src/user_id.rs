//! `UserId`: the CRM user (the API's `workspace_id`) whose contacts are synced.

use std::fmt;

use crate::error::ValidationError;

/// Maximum length of a user id, in characters.
pub const MAX_USER_ID_CHARS: usize = 255;

/// A validated user id: trimmed, 1 to 255 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Validates and trims a raw id.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let trimmed = raw.trim();
        let length = trimmed.chars().count();
        if length == 0 || length > MAX_USER_ID_CHARS {
            return Err(ValidationError::UserIdLength);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ValidationError::UserIdControlCharacter);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for UserId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}
