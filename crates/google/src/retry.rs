//! The retry schedule: which answers are retried, exponential backoff with full jitter, and
//! `Retry-After`.

use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::config::RetryConfig;

/// Whether an HTTP status is worth retrying: 429 (quota) and every 5xx.
pub(crate) fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// The ceiling of the wait after failed attempt `attempt` (1-based): `base * 2^(attempt-1)`,
/// capped at `max_delay`.
pub(crate) fn backoff_ceiling(config: &RetryConfig, attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(31);
    config
        .base_delay
        .saturating_mul(1_u32 << doublings)
        .min(config.max_delay)
}

/// The wait after failed attempt `attempt`: uniformly random below the ceiling ("full jitter").
pub(crate) fn jittered_backoff(config: &RetryConfig, attempt: u32) -> Duration {
    let ceiling = backoff_ceiling(config, attempt);
    let ceiling_micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(rand::thread_rng().gen_range(0..=ceiling_micros))
}

/// `Retry-After` in seconds, when the answer carries one (HTTP dates are ignored).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn config() -> RetryConfig {
        RetryConfig {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_total: Duration::from_secs(60),
        }
    }

    #[test]
    fn ceiling_doubles_then_caps() {
        let ceilings: Vec<u128> = (1..=6)
            .map(|attempt| backoff_ceiling(&config(), attempt).as_millis())
            .collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff_ceiling(&config(), 200).as_millis(), 1000);
    }

    #[test]
    fn jitter_stays_below_the_ceiling() {
        for attempt in 1..=8 {
            for _ in 0..50 {
                assert!(
                    jittered_backoff(&config(), attempt) <= backoff_ceiling(&config(), attempt)
                );
            }
        }
    }

    #[test]
    fn retryable_statuses_are_429_and_5xx() {
        assert!(is_retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(is_retryable(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(is_retryable(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!is_retryable(StatusCode::BAD_REQUEST));
        assert!(!is_retryable(StatusCode::UNAUTHORIZED));
        assert!(!is_retryable(StatusCode::OK));
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
