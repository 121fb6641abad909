//! Webhooks: the events a workspace can subscribe to and what each carries (built from a run's
//! end in [`events_for_end`], the one place that names them), the retry schedule of a failed
//! delivery ([`next_attempt`]), and which endpoint addresses the server refuses to call
//! ([`is_forbidden_address`]).

mod address;
mod event;
mod retry;

pub use address::{WebhookUrlError, check_webhook_url, is_forbidden_address};
pub use event::{
    ChangeRange, EndFacts, EventCounts, EventDraft, EventKind, WebhookEventData,
    event_for_rescued_failure, events_for_end,
};
pub use retry::{DeliveryPolicy, next_attempt};
