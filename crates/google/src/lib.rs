//! pulse-google: the only code that talks to Google.
//!
//! [`GoogleClient`] implements the domain's [`ContactsSource`](pulse_domain::ports::ContactsSource)
//! (People API `people/me/connections`, page by page, fully or since a sync token) and
//! [`GoogleAuthorizer`](pulse_domain::ports::GoogleAuthorizer) (OAuth2 web-server flow with PKCE).
//! Every request waits on a shared rate limiter, retries 429 and 5xx with jittered exponential
//! backoff, and refreshes access tokens once per user however many callers need one.
//!
//! With the `fake` feature, [`fake`] provides a fake Google: a real HTTP server on loopback that
//! speaks the same protocol, for tests and the demo.

mod authorizer;
mod client;
mod config;
mod error;
mod google_error;
mod listing;
mod oauth;
mod profile;
mod rate_limit;
mod retry;
mod token_cache;
mod transport;
mod wire;

#[cfg(feature = "fake")]
pub mod fake;

pub use client::GoogleClient;
pub use config::{
    ACCOUNT_EMAIL_SCOPE, CONTACTS_READONLY_SCOPE, DEFAULT_AUTH_URL, DEFAULT_PEOPLE_API_URL,
    DEFAULT_REVOKE_URL, DEFAULT_TOKEN_URL, GoogleConfig, RateLimitConfig, RetryConfig, env,
};
pub use error::ConfigError;
pub use listing::{GoogleListing, PERSON_FIELDS};
pub use rate_limit::RateLimits;
