//! `WebhookEndpointView` (with the secret only when just set), and `DeliveryAttemptView` /
//! `DeliveryPage`: the latest attempts to an endpoint.

use chrono::{DateTime, Utc};
use pulse_domain::ports::{DeliveryAttempt, WebhookEndpoint};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A webhook endpoint.
#[derive(Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = WebhookEndpoint)]
pub(crate) struct WebhookEndpointView {
    /// The endpoint's id (kept when it is replaced).
    pub id: Uuid,
    /// The workspace whose events it receives; null: every workspace's (an admin's endpoint).
    pub workspace_id: Option<String>,
    /// Where deliveries are POSTed.
    #[schema(example = "https://crm.example.com/hooks/pulse")]
    pub url: String,
    /// The subscribed events.
    #[schema(example = json!(["sync.completed", "sync.failed"]))]
    pub events: Vec<String>,
    /// The signing secret: only in the answer of the `PUT` that set it, never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "whsec_3f9a...")]
    pub secret: Option<String>,
    /// When it was first set.
    pub created_at: DateTime<Utc>,
    /// When it was last replaced.
    pub updated_at: DateTime<Utc>,
}

/// Like the derived one, with the signing secret redacted.
impl std::fmt::Debug for WebhookEndpointView {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("WebhookEndpointView")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

impl WebhookEndpointView {
    /// The view of a stored endpoint, with `secret` when it was just set.
    pub(crate) fn new(endpoint: WebhookEndpoint, secret: Option<String>) -> Self {
        Self {
            id: endpoint.id,
            workspace_id: endpoint
                .workspace
                .map(|workspace| workspace.as_str().to_owned()),
            url: endpoint.url,
            events: endpoint
                .events
                .iter()
                .map(|kind| kind.as_str().to_owned())
                .collect(),
            secret,
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
        }
    }
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = WebhookDeliveryAttempt)]
pub(crate) struct DeliveryAttemptView {
    /// The event (the body's `id`, the `Pulse-Event-Id` header).
    pub event_id: Uuid,
    /// The event's type.
    #[schema(example = "sync.completed")]
    pub event_type: String,
    /// The workspace whose event it is.
    pub workspace_id: String,
    /// 1 for the first attempt of this event to this endpoint.
    pub attempt: i32,
    /// When it was sent.
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status code; null when it did not answer (timeout, refused connection).
    pub status_code: Option<i32>,
    /// How long the request took, in milliseconds.
    pub latency_ms: i64,
    /// Why it failed; null when delivered.
    pub error: Option<String>,
    /// `delivered`, `retrying` or `failed` (given up after a day of retries).
    #[schema(example = "delivered")]
    pub status: &'static str,
    /// When the next attempt is due; null when delivered or given up.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<DeliveryAttempt> for DeliveryAttemptView {
    fn from(attempt: DeliveryAttempt) -> Self {
        let status = match (&attempt.error, attempt.next_attempt_at) {
            (None, _) => "delivered",
            (Some(_), Some(_)) => "retrying",
            (Some(_), None) => "failed",
        };
        Self {
            event_id: attempt.event_id,
            event_type: attempt.event_type.as_str().to_owned(),
            workspace_id: attempt.workspace.as_str().to_owned(),
            attempt: attempt.attempt,
            attempted_at: attempt.attempted_at,
            status_code: attempt.status_code,
            latency_ms: attempt.latency_ms,
            error: attempt.error,
            status,
            next_attempt_at: attempt.next_attempt_at,
        }
    }
}

/// The latest attempts, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = WebhookDeliveryPage)]
pub(crate) struct DeliveryPage {
    /// The attempts.
    pub items: Vec<DeliveryAttemptView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_the_signing_secret() {
        let view = WebhookEndpointView {
            id: Uuid::nil(),
            workspace_id: Some("ada".to_owned()),
            url: "https://crm.example.com/hooks".to_owned(),
            events: vec!["sync.completed".to_owned()],
            secret: Some("whsec_do-not-print".to_owned()),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        };
        let printed = format!("{view:?}");
        assert!(!printed.contains("do-not-print"), "{printed}");
        assert!(printed.contains("[redacted]"), "{printed}");
        assert!(printed.contains("crm.example.com"), "{printed}");
    }
}
