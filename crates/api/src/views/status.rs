//! Small bodies: `{"status": ...}` for health and readiness, `{"authorization_url"}` for connect.

use serde::Serialize;
use utoipa::ToSchema;

/// A health or readiness answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Status)]
pub(crate) struct StatusView {
    /// `ok` (alive), `ready`, or `connected` after a callback without `return_to`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Where the browser goes to grant access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct AuthorizationUrl {
    /// Google's consent page with the state and the PKCE challenge.
    pub authorization_url: String,
}
