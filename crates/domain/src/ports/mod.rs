//! The ports: traits the outer crates implement (storage, Google) and the domain's use cases call.
//!
//! They are async traits without boxing (`impl Future + Send`), so callers stay generic.

mod api_keys;
mod auth;
mod clock;
mod configs;
mod connections;
mod contacts;
mod errors;
mod jobs;
mod profiles;
mod run_end;
mod webhooks;

pub use api_keys::{ApiKeyRecord, ApiKeyRepository, ApiKeyScope};
pub use auth::{
    ACCOUNT_EMAIL_SCOPE, AuthorizationRequest, CONTACTS_READONLY_SCOPE, GoogleAuthorizer,
    TokenGrant,
};
pub use clock::{Clock, SystemClock};
pub use configs::{ConfigRepository, SettingsView};
pub use connections::{
    ConnectionRepository, HeldGrant, MAX_PENDING_CONSENTS_PER_WORKSPACE, OAuthStateRepository,
    PendingAuthorization,
};
pub use contacts::{ContactListing, ContactPage, ContactsSource, ListingMode};
pub use errors::{EnqueueError, SourceError, StoreError};
pub use jobs::{JobQueue, JobRepository, Page, RescueReport};
pub use profiles::{
    ChangePage, ChangeQuery, PageWrite, ProfileChangeItem, ProfileQuery, ProfileRepository,
    StoredProfile, SyncRunStore,
};
pub use run_end::{RunEnd, RunEnding};
pub use webhooks::{
    AttemptOutcome, AttemptRecord, DeliveryAttempt, DueDelivery, NewEndpoint, WebhookEndpoint,
    WebhookOutbox, WebhookStore,
};
