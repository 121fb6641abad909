//! `WebhookStore` (the API's endpoints and delivery log) and `WebhookOutbox` (the delivery
//! loop's claims and attempts) over the outbox that a run's end writes into.

use std::future::Future;

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::ports::StoreError;
use crate::secret::Secret;
use crate::user_id::UserId;
use crate::webhook::EventKind;

/// A webhook endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// The endpoint's id (kept when the endpoint is replaced).
    pub id: Uuid,
    /// Whose events it receives; `None`: every workspace's (set by an admin key).
    pub workspace: Option<UserId>,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The events it subscribed to.
    pub events: Vec<EventKind>,
    /// When it was first set.
    pub created_at: DateTime<Utc>,
    /// When it was last replaced.
    pub updated_at: DateTime<Utc>,
}

/// An endpoint to set (replacing the scope's current one).
#[derive(Debug, Clone)]
pub struct NewEndpoint<'a> {
    /// The workspace, or `None` for every workspace.
    pub workspace: Option<&'a UserId>,
    /// Where to POST.
    pub url: &'a str,
    /// The subscribed events.
    pub events: &'a [EventKind],
    /// The signing secret (stored sealed).
    pub secret: &'a Secret,
}

/// One recorded delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// The event delivered.
    pub event_id: Uuid,
    /// Its type.
    pub event_type: EventKind,
    /// The workspace whose event it is.
    pub workspace: UserId,
    /// 1 for the first attempt of the delivery.
    pub attempt: i32,
    /// When it was sent.
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status code, when it answered.
    pub status_code: Option<i32>,
    /// How long the request took, in milliseconds.
    pub latency_ms: i64,
    /// Why it failed (a status other than 2xx, a timeout, a refused connection); `None` when delivered.
    pub error: Option<String>,
    /// When the next attempt is due; `None` when delivered or given up.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery claimed for one attempt, with what the request needs.
#[derive(Clone)]
pub struct DueDelivery {
    /// The delivery (event x endpoint).
    pub delivery_id: i64,
    /// This attempt's number (1 for the first); fences the attempt's record.
    pub attempt: i32,
    /// The event's id (`Pulse-Event-Id`, the receiver's deduplication key).
    pub event_id: Uuid,
    /// The event's type.
    pub event_type: EventKind,
    /// Whose event it is.
    pub workspace: UserId,
    /// The event's place in its workspace's order (1, 2, ...).
    pub sequence: i64,
    /// When the event was written.
    pub event_created_at: DateTime<Utc>,
    /// The event's `data` object, as JSON text.
    pub data_json: String,
    /// The endpoint.
    pub endpoint_id: Uuid,
    /// Where to POST.
    pub url: String,
    /// The endpoint's signing secret.
    pub secret: Secret,
}

impl std::fmt::Debug for DueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DueDelivery")
            .field("delivery_id", &self.delivery_id)
            .field("attempt", &self.attempt)
            .field("event_id", &self.event_id)
            .field("event_type", &self.event_type)
            .field("endpoint_id", &self.endpoint_id)
            .finish_non_exhaustive()
    }
}

/// How an attempt went, and what happens to the delivery next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// When it was sent.
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status code, when it answered.
    pub status_code: Option<i32>,
    /// How long the request took, in milliseconds.
    pub latency_ms: i64,
    /// Why it failed; `None` when delivered.
    pub error: Option<String>,
    /// Delivered, retried at a time, or given up.
    pub outcome: AttemptOutcome,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// The event is too old to retry any more.
    GaveUp,
}

/// The API's side of webhooks: one endpoint per scope (a workspace, or every workspace).
pub trait WebhookStore: Send + Sync {
    /// Sets the scope's endpoint, replacing the current one (its id stays; deliveries not yet
    /// made go to the new URL with the new secret).
    fn put_endpoint(
        &self,
        endpoint: NewEndpoint<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<WebhookEndpoint, StoreError>> + Send;

    /// The scope's endpoint, if one is set.
    fn find_endpoint(
        &self,
        workspace: Option<&UserId>,
    ) -> impl Future<Output = Result<Option<WebhookEndpoint>, StoreError>> + Send;

    /// Removes the scope's endpoint and its pending deliveries; whether there was one.
    fn delete_endpoint(
        &self,
        workspace: Option<&UserId>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The latest attempts to the scope's endpoint, newest first.
    fn recent_attempts(
        &self,
        workspace: Option<&UserId>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<DeliveryAttempt>, StoreError>> + Send;
}

/// The delivery loop's side: claim due deliveries, record their attempts.
pub trait WebhookOutbox: Send + Sync {
    /// Claims up to `limit` deliveries due at `now` for one attempt each: their next attempt
    /// moves to `now + lease`, so a process that dies mid-attempt leaves them due again then
    /// (replicas skip deliveries another one is claiming).
    fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<DueDelivery>, StoreError>> + Send;

    /// Records one attempt of a claimed delivery and what follows; `false` when the delivery
    /// was claimed again meanwhile (this attempt's lease ran out) and nothing was written.
    fn record_attempt(
        &self,
        delivery: &DueDelivery,
        record: &AttemptRecord,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Removes up to `limit` events written before `before` whose deliveries are all done
    /// (delivered or given up), with their deliveries and attempts; how many it removed.
    fn prune_events(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The earliest time a delivery is due, if any.
    fn earliest_delivery_at(
        &self,
    ) -> impl Future<Output = Result<Option<DateTime<Utc>>, StoreError>> + Send;
}
