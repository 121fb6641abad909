//! Signed webhook deliveries of pulse-sync.
//!
//! - [`signature`]: the `Pulse-Signature` scheme, [`sign`] and the reference [`verify`] a
//!   receiver runs.
//! - [`body`]: the JSON body of a delivery, `{"id", "type", "workspace_id", "sequence",
//!   "created_at", "data"}`.
//! - [`sender`]: the HTTP client that POSTs it, with a timeout, no redirects, and a resolver that
//!   refuses internal addresses unless private addresses are allowed.
//! - [`deliverer`]: the loop that claims due deliveries from the outbox (the domain's
//!   [`WebhookOutbox`](pulse_domain::ports::WebhookOutbox) port), sends them, and records each
//!   attempt with its retry time from the domain's [`next_attempt`](pulse_domain::webhook::next_attempt).

pub mod body;
pub mod deliverer;
pub mod sender;
pub mod signature;

pub use body::delivery_body;
pub use deliverer::{Deliverer, DeliveryConfig};
pub use sender::{HttpSender, SendOutcome, SenderError, SenderSettings};
pub use signature::{
    DEFAULT_TOLERANCE_SECONDS, EVENT_ID_HEADER, SIGNATURE_HEADER, VerifyError, sign, signature,
    verify,
};
