//! Google's error envelope (`{"error": {"code", "message", "status", "details": [ErrorInfo...]}}`)
//! and what a People API failure means for the caller.

use pulse_domain::ports::SourceError;
use reqwest::StatusCode;
use serde::Deserialize;

/// The `ErrorInfo` reason of an expired or invalid sync token.
pub(crate) const EXPIRED_SYNC_TOKEN: &str = "EXPIRED_SYNC_TOKEN";
/// The `ErrorInfo` reason of an access token without the contacts scope.
pub(crate) const SCOPE_INSUFFICIENT: &str = "ACCESS_TOKEN_SCOPE_INSUFFICIENT";
/// Longest Google message kept in an error.
const MAX_MESSAGE_CHARS: usize = 300;

#[derive(Debug, Default, Deserialize)]
struct Envelope {
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    details: Option<Vec<serde_json::Value>>,
}

/// What a non-success answer of the People API says, as far as it can be read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct GoogleError {
    /// `error.message`.
    pub message: Option<String>,
    /// `error.status`, the RPC code name.
    pub status: Option<String>,
    /// Every `ErrorInfo.reason` in `error.details`.
    pub reasons: Vec<String>,
}

impl GoogleError {
    /// Reads an error body; anything unreadable gives an empty `GoogleError`.
    pub fn parse(body: &[u8]) -> Self {
        let Ok(Envelope { error: Some(error) }) = serde_json::from_slice::<Envelope>(body) else {
            return Self::default();
        };
        let reasons = error
            .details
            .unwrap_or_default()
            .iter()
            .filter_map(|detail| detail.get("reason")?.as_str().map(str::to_owned))
            .collect();
        Self {
            message: error
                .message
                .map(|m| m.chars().take(MAX_MESSAGE_CHARS).collect()),
            status: error.status,
            reasons,
        }
    }

    /// Whether an `ErrorInfo` carries this reason.
    pub fn has_reason(&self, reason: &str) -> bool {
        self.reasons.iter().any(|r| r == reason)
    }

    /// A short description: the message, else the status name, else the HTTP status.
    pub fn describe(&self, status: StatusCode) -> String {
        self.message
            .clone()
            .or_else(|| self.status.clone())
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()))
    }
}

/// The typed failure for a People API answer that is neither a success, a 401, a 429 nor a 5xx.
///
/// An expired sync token is recognised by its `ErrorInfo` reason whatever the status (400 with
/// `FAILED_PRECONDITION` or `INVALID_ARGUMENT`, or an old-style 410).
pub(crate) fn classify_failure(status: StatusCode, body: &[u8]) -> SourceError {
    let error = GoogleError::parse(body);
    if error.has_reason(EXPIRED_SYNC_TOKEN) {
        return SourceError::SyncTokenExpired;
    }
    if status == StatusCode::FORBIDDEN && error.has_reason(SCOPE_INSUFFICIENT) {
        return SourceError::ReauthRequired {
            detail: "the grant lacks the contacts.readonly scope".to_owned(),
        };
    }
    SourceError::Rejected {
        status: status.as_u16(),
        detail: error.describe(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPIRED: &str = r#"{"error":{"code":400,"message":"Sync token is expired. Clear local cache and retry call without the sync token.","status":"FAILED_PRECONDITION","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"EXPIRED_SYNC_TOKEN","domain":"people.googleapis.com"}]}}"#;

    #[test]
    fn expired_sync_token_is_matched_by_reason_whatever_the_status() {
        assert_eq!(
            classify_failure(StatusCode::BAD_REQUEST, EXPIRED.as_bytes()),
            SourceError::SyncTokenExpired
        );
        let invalid_argument = EXPIRED.replace("FAILED_PRECONDITION", "INVALID_ARGUMENT");
        assert_eq!(
            classify_failure(StatusCode::BAD_REQUEST, invalid_argument.as_bytes()),
            SourceError::SyncTokenExpired
        );
        assert_eq!(
            classify_failure(StatusCode::GONE, EXPIRED.as_bytes()),
            SourceError::SyncTokenExpired
        );
    }

    #[test]
    fn a_failed_precondition_without_the_reason_is_not_an_expired_token() {
        let body = r#"{"error":{"code":400,"message":"Precondition check failed.","status":"FAILED_PRECONDITION"}}"#;
        assert_eq!(
            classify_failure(StatusCode::BAD_REQUEST, body.as_bytes()),
            SourceError::Rejected {
                status: 400,
                detail: "Precondition check failed.".to_owned()
            }
        );
    }

    #[test]
    fn a_missing_scope_needs_reauthorization() {
        let body = r#"{"error":{"code":403,"message":"Request had insufficient authentication scopes.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT"}]}}"#;
        assert!(classify_failure(StatusCode::FORBIDDEN, body.as_bytes()).is_reauth());
    }

    #[test]
    fn an_unreadable_body_still_gives_the_status() {
        assert_eq!(
            classify_failure(StatusCode::NOT_FOUND, b"<html>nope</html>"),
            SourceError::Rejected {
                status: 404,
                detail: "HTTP 404".to_owned()
            }
        );
    }
}
