//! The fake's error bodies: Google's error envelope and OAuth error bodies.

use serde_json::{Value, json};

/// A failure in Google's error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiFailure {
    /// The HTTP status.
    pub code: u16,
    /// The RPC code name.
    pub status: &'static str,
    /// The message.
    pub message: String,
    /// The `ErrorInfo` reason and domain, when there is one.
    pub reason: Option<(&'static str, &'static str)>,
}

impl ApiFailure {
    /// 400 `INVALID_ARGUMENT`.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self {
            code: 400,
            status: "INVALID_ARGUMENT",
            message: message.into(),
            reason: None,
        }
    }

    /// 401 `UNAUTHENTICATED`.
    pub fn unauthenticated(reason: &'static str) -> Self {
        Self {
            code: 401,
            status: "UNAUTHENTICATED",
            message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.".to_owned(),
            reason: Some((reason, "googleapis.com")),
        }
    }

    /// 400 with `ErrorInfo` reason `EXPIRED_SYNC_TOKEN`.
    pub fn expired_sync_token(status: &'static str) -> Self {
        Self {
            code: 400,
            status,
            message:
                "Sync token is expired. Clear local cache and retry call without the sync token."
                    .to_owned(),
            reason: Some(("EXPIRED_SYNC_TOKEN", "people.googleapis.com")),
        }
    }

    /// 429 `RESOURCE_EXHAUSTED` with reason `RATE_LIMIT_EXCEEDED`.
    pub fn rate_limited() -> Self {
        Self {
            code: 429,
            status: "RESOURCE_EXHAUSTED",
            message: "Quota exceeded for quota metric 'Critical read requests (Contact and Profile Reads)' and limit 'Critical read requests (Contact and Profile Reads) per minute per user' of service 'people.googleapis.com'.".to_owned(),
            reason: Some(("RATE_LIMIT_EXCEEDED", "googleapis.com")),
        }
    }

    /// 500 `INTERNAL`.
    pub fn internal() -> Self {
        Self {
            code: 500,
            status: "INTERNAL",
            message: "Internal error encountered.".to_owned(),
            reason: None,
        }
    }

    /// The envelope: `{"error": {"code", "message", "status", "details"?}}`.
    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message, "status": self.status});
        if let Some((reason, domain)) = self.reason {
            error["details"] = json!([{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": domain,
            }]);
        }
        json!({ "error": error })
    }
}

/// An OAuth endpoint failure (`{"error", "error_description"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OAuthFailure {
    /// The HTTP status.
    pub code: u16,
    /// The OAuth error code.
    pub error: &'static str,
    /// The description.
    pub description: &'static str,
}

impl OAuthFailure {
    /// A failure with status 400.
    pub fn bad_request(error: &'static str, description: &'static str) -> Self {
        Self {
            code: 400,
            error,
            description,
        }
    }

    /// The body.
    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expired_sync_token_envelope_matches_google() {
        let body = ApiFailure::expired_sync_token("FAILED_PRECONDITION").body();
        assert_eq!(body["error"]["code"], 400);
        assert_eq!(body["error"]["status"], "FAILED_PRECONDITION");
        assert_eq!(body["error"]["details"][0]["reason"], "EXPIRED_SYNC_TOKEN");
        assert_eq!(
            body["error"]["details"][0]["@type"],
            "type.googleapis.com/google.rpc.ErrorInfo"
        );
    }
}
