//! `Transport`: one HTTP request to Google, rate limited, with timeouts, retrying 429, 5xx and
//! network failures (exponential backoff with full jitter, `Retry-After` honoured).
//!
//! Error texts never carry a URL (query strings hold sync tokens) or a token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pulse_domain::UserId;
use reqwest::header::HeaderMap;
use reqwest::{Client, RequestBuilder, StatusCode};

use crate::config::{GoogleConfig, RetryConfig};
use crate::error::ConfigError;
use crate::rate_limit::RateLimits;
use crate::retry::{is_retryable, jittered_backoff, retry_after};

/// An answer that needs no retry (any status but 429 and 5xx), body read in full.
#[derive(Debug)]
pub(crate) struct RawResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Vec<u8>,
}

/// Every attempt failed, or the retry budget ran out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{endpoint}: {last} (gave up after {attempts} attempt(s))")]
pub(crate) struct GaveUp {
    /// The endpoint, as `METHOD name`, without a query string.
    pub endpoint: &'static str,
    /// Attempts made.
    pub attempts: u32,
    /// The last failure.
    pub last: String,
}

/// The HTTP client, the shared limiters and the retry policy.
pub(crate) struct Transport {
    http: Client,
    limits: Arc<RateLimits>,
    retry: RetryConfig,
}

impl Transport {
    /// Builds the HTTP client (rustls, redirects off, connect and request timeouts).
    pub fn new(config: &GoogleConfig, limits: Arc<RateLimits>) -> Result<Self, ConfigError> {
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("pulse-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ConfigError::HttpClient(describe(error)))?;
        Ok(Self {
            http,
            limits,
            retry: config.retry,
        })
    }

    /// Sends the request `build` makes, as many times as the retry policy allows; each attempt
    /// first waits on the rate limiters (the user's too, when there is one).
    pub async fn send(
        &self,
        endpoint: &'static str,
        user: Option<&UserId>,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<RawResponse, GaveUp> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.limits.acquire(user).await;
            let (failure, server_wait) = match self.attempt(&build).await {
                Ok(response) if !is_retryable(response.status) => return Ok(response),
                Ok(response) => (
                    format!("HTTP {}", response.status.as_u16()),
                    retry_after(&response.headers),
                ),
                Err(failure) => (failure, None),
            };
            let gave_up = |last: String| GaveUp {
                endpoint,
                attempts: attempt,
                last,
            };
            if attempt >= self.retry.max_attempts {
                return Err(gave_up(failure));
            }
            let wait = server_wait.unwrap_or_else(|| jittered_backoff(&self.retry, attempt));
            if started.elapsed().saturating_add(wait) > self.retry.max_total {
                return Err(gave_up(format!(
                    "{failure}; waiting {} ms more would pass the retry budget",
                    wait.as_millis()
                )));
            }
            tracing::warn!(
                endpoint,
                attempt,
                wait_ms = millis(wait),
                failure = %failure,
                "Google request failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        build: &impl Fn(&Client) -> RequestBuilder,
    ) -> Result<RawResponse, String> {
        let response = build(&self.http).send().await.map_err(describe)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(describe)?;
        Ok(RawResponse {
            status,
            headers,
            body: body.to_vec(),
        })
    }
}

/// A reqwest error as text without its URL.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    if error.is_timeout() {
        "request timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
