//! When a failed delivery is tried again: jittered exponential backoff, at least as long as the
//! receiver's `Retry-After`, until the event is a day old; then the delivery gives up.

use chrono::{DateTime, TimeDelta, Utc};

/// The retry schedule of deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// The delay after the first failed attempt (doubled after each further one).
    pub base: TimeDelta,
    /// The longest delay between two attempts (before jitter).
    pub cap: TimeDelta,
    /// How long after the event its delivery is retried; a failure after that gives up.
    pub give_up_after: TimeDelta,
    /// The longest `Retry-After` honoured (a longer one is cut to this).
    pub max_retry_after: TimeDelta,
}

impl Default for DeliveryPolicy {
    /// 30 s doubling to at most 2 hours, for 24 hours: about 20 attempts; `Retry-After` up to 6 hours.
    fn default() -> Self {
        Self {
            base: TimeDelta::seconds(30),
            cap: TimeDelta::hours(2),
            give_up_after: TimeDelta::hours(24),
            max_retry_after: TimeDelta::hours(6),
        }
    }
}

/// When to try a delivery again after its `attempts`-th attempt (1 for the first) failed at
/// `now`, or `None` to give up: the event was created at `event_created_at` and is older than
/// the policy's `give_up_after`. The delay is `base * 2^(attempts-1)`, capped, scaled by
/// `1 + jitter` (`jitter` in `[-0.2, 0.2]`, clamped), and never shorter than `retry_after`
/// (itself capped at `max_retry_after`).
pub fn next_attempt(
    policy: &DeliveryPolicy,
    event_created_at: DateTime<Utc>,
    attempts: i32,
    now: DateTime<Utc>,
    retry_after: Option<TimeDelta>,
    jitter: f64,
) -> Option<DateTime<Utc>> {
    if now - event_created_at >= policy.give_up_after {
        return None;
    }
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let base_ms = policy.base.num_milliseconds().max(1);
    let cap_ms = policy.cap.num_milliseconds().max(base_ms);
    let exponential = base_ms.saturating_mul(1_i64 << doublings).min(cap_ms);
    let scaled = (exponential as f64 * (1.0 + jitter.clamp(-0.2, 0.2))).round() as i64;
    let mut delay = TimeDelta::milliseconds(scaled.max(1));
    if let Some(asked) = retry_after {
        let asked = asked.min(policy.max_retry_after);
        if asked > delay {
            delay = asked;
        }
    }
    Some(now + delay)
}
