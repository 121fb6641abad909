//! Helpers shared by the integration tests: a fake Google, a client pointed at it with fast
//! retries and generous limits, and a loop that lists every page.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::num::NonZeroU32;
use std::time::Duration;

use pulse_domain::ports::{ContactListing, ContactsSource, ListingMode, SourceError};
use pulse_domain::{GooglePerson, Secret, UserId};
use pulse_google::fake::{FakeGoogle, FakeOptions};
use pulse_google::{GoogleClient, GoogleConfig, RateLimitConfig, RetryConfig};

/// The redirect URL the tests register.
pub const REDIRECT_URL: &str = "http://127.0.0.1:9/oauth/callback";

/// Starts a fake Google.
pub fn start_fake(options: FakeOptions) -> FakeGoogle {
    FakeGoogle::start(options).expect("the fake Google starts")
}

/// A configuration for the fake: 3 attempts with millisecond backoff, a 5 s request timeout,
/// and limits high enough never to slow a test down.
pub fn test_config(fake: &FakeGoogle) -> GoogleConfig {
    let mut config = fake.client_config(REDIRECT_URL).expect("a valid config");
    let high = NonZeroU32::new(1_000_000).expect("non-zero");
    config.rate_limits = RateLimitConfig {
        project_rpm: high,
        project_burst: high,
        user_rpm: high,
        user_burst: high,
    };
    config.retry = RetryConfig {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_total: Duration::from_secs(20),
    };
    config.request_timeout = Duration::from_secs(5);
    config.connect_timeout = Duration::from_secs(2);
    config
}

/// A client for the fake with `test_config`, adjusted by `adjust`.
pub fn client_with(fake: &FakeGoogle, adjust: impl FnOnce(&mut GoogleConfig)) -> GoogleClient {
    let mut config = test_config(fake);
    adjust(&mut config);
    GoogleClient::new(&config).expect("the client builds")
}

/// A client for the fake with `test_config`.
pub fn client(fake: &FakeGoogle) -> GoogleClient {
    client_with(fake, |_| {})
}

/// A user id.
pub fn user(id: &str) -> UserId {
    UserId::parse(id).expect("a valid user id")
}

/// Everything one listing round returned.
#[derive(Debug)]
pub struct Round {
    /// Every person, in order.
    pub people: Vec<GooglePerson>,
    /// People per page.
    pub page_sizes: Vec<usize>,
    /// The sync token of the last page.
    pub sync_token: Option<Secret>,
    /// Pages other than the last that carried a sync token (must stay 0).
    pub early_sync_tokens: usize,
}

/// Lists every page of a round.
pub async fn list_all(
    client: &GoogleClient,
    user: &UserId,
    refresh_token: &Secret,
    mode: ListingMode,
) -> Result<Round, SourceError> {
    let mut listing = client.open_listing(user, refresh_token, mode);
    let mut round = Round {
        people: Vec::new(),
        page_sizes: Vec::new(),
        sync_token: None,
        early_sync_tokens: 0,
    };
    while let Some(page) = listing.next_page().await? {
        if round.sync_token.is_some() {
            round.early_sync_tokens += 1;
        }
        round.page_sizes.push(page.people.len());
        round.people.extend(page.people);
        round.sync_token = page.next_sync_token;
    }
    Ok(round)
}
