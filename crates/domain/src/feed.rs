//! The change feed of a workspace's profiles: what a change is (created, updated, deleted), the
//! opaque cursor a CRM stores between polls, and the page sizes a poll may ask for.
//!
//! Every write of a profile takes the next number of one database sequence; the feed lists a
//! workspace's profiles whose number is above the cursor, in number order, each in its latest
//! state. A cursor is only that number (no server state), so it stays valid across restarts and
//! replicas of the service.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ValidationError;

/// Changes per poll when the request names no limit.
pub const DEFAULT_CHANGES_PER_PAGE: i64 = 100;

/// The most changes one poll returns (larger limits are cut down to it).
pub const MAX_CHANGES_PER_PAGE: i64 = 1000;

/// What the latest write of a profile did, as the feed reports it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The profile appeared: first synced, or seen again after it was deleted (restored).
    Created,
    /// A live profile changed (new contents or a new resource name).
    Updated,
    /// The profile was deleted (on Google's side, or with the Google account it came from).
    Deleted,
}

impl ChangeKind {
    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw {
            "created" => Ok(Self::Created),
            "updated" => Ok(Self::Updated),
            "deleted" => Ok(Self::Deleted),
            other => Err(ValidationError::UnknownVariant {
                field: "last_change",
                value: other.to_owned(),
            }),
        }
    }
}

/// The version tag inside every cursor, so a later format can tell old cursors apart.
const CURSOR_VERSION: &str = "v1.";

/// A position in a workspace's change feed: the number of the last change a client has read
/// (zero before the first). Clients see it only as an opaque token ([`ChangeCursor::encode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ChangeCursor(i64);

impl ChangeCursor {
    /// The start of every feed: before the first change.
    pub const START: Self = Self(0);

    /// The position just after the change numbered `seq`; `None` for a negative number, which
    /// no change has.
    pub fn after_seq(seq: i64) -> Option<Self> {
        (seq >= 0).then_some(Self(seq))
    }

    /// The number of the last change read: the feed continues with the changes above it.
    pub fn seq(self) -> i64 {
        self.0
    }

    /// The opaque token: URL-safe base64 (no padding) of a versioned value.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_VERSION}{}", self.0))
    }

    /// Reads a token made by [`ChangeCursor::encode`]; anything else is refused.
    pub fn parse(token: &str) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::InvalidChangeCursor;
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let digits = text.strip_prefix(CURSOR_VERSION).ok_or_else(invalid)?;
        // Only the canonical digits, so a token read back encodes to itself.
        let canonical = !digits.is_empty()
            && digits.bytes().all(|byte| byte.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if !canonical {
            return Err(invalid());
        }
        let seq: i64 = digits.parse().map_err(|_| invalid())?;
        Ok(Self(seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_look_opaque() {
        for seq in [0, 1, 42, i64::MAX] {
            let cursor = ChangeCursor::after_seq(seq).unwrap_or_default();
            let token = cursor.encode();
            assert!(
                token
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{token}"
            );
            assert_eq!(ChangeCursor::parse(&token), Ok(cursor));
        }
        assert_eq!(ChangeCursor::START.seq(), 0);
        assert_eq!(ChangeCursor::after_seq(-1), None);
    }

    #[test]
    fn foreign_tokens_are_refused() {
        let encode = |text: &str| URL_SAFE_NO_PAD.encode(text);
        for bad in [
            String::new(),
            "not base64 !".to_owned(),
            encode("v1."),
            encode("v1.-5"),
            encode("v1.+5"),
            encode("v1.12x"),
            encode("v1.007"),
            encode("v1.99999999999999999999"),
            encode("v2.5"),
            encode("5"),
        ] {
            assert!(ChangeCursor::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn change_kinds_round_trip() {
        for kind in [
            ChangeKind::Created,
            ChangeKind::Updated,
            ChangeKind::Deleted,
        ] {
            assert_eq!(ChangeKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(ChangeKind::parse("restored").is_err());
    }
}
