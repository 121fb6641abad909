//! `AuthFailureLimiter`: counts failed authentication attempts per client address in fixed windows,
//! so a client guessing keys is answered 429 once it has used up its window.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::config::AuthFailureLimit;

/// Addresses tracked before expired windows are swept out.
const SWEEP_ABOVE: usize = 10_000;

/// One address's current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// The failed-attempt counters of all client addresses.
#[derive(Debug)]
pub(crate) struct AuthFailureLimiter {
    limit: AuthFailureLimit,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

impl AuthFailureLimiter {
    /// A limiter enforcing `limit`.
    pub(crate) fn new(limit: AuthFailureLimit) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when `address` used up its failures in the current window.
    pub(crate) fn check(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        match windows.get(&address) {
            Some(window) if self.is_current(window, now) => {
                if window.failures >= self.limit.max_failures {
                    Err(self.limit.window - now.duration_since(window.started))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Counts one failed attempt from `address`.
    pub(crate) fn record_failure(&self, address: IpAddr, now: Instant) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, window| self.is_current(window, now));
        }
        let window = windows.entry(address).or_insert(Window {
            started: now,
            failures: 0,
        });
        if !self.is_current(window, now) {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
    }

    fn is_current(&self, window: &Window, now: Instant) -> bool {
        now.duration_since(window.started) < self.limit.window
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn limiter(max_failures: u32) -> AuthFailureLimiter {
        AuthFailureLimiter::new(AuthFailureLimit {
            max_failures,
            window: Duration::from_secs(60),
        })
    }

    const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 8));

    #[test]
    fn allows_up_to_the_limit_then_refuses_until_the_window_ends() {
        let limiter = limiter(3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(CLIENT, start).is_ok());
            limiter.record_failure(CLIENT, start);
        }
        let wait = limiter
            .check(CLIENT, start + Duration::from_secs(10))
            .expect_err("limit reached");
        assert_eq!(wait, Duration::from_secs(50));
        assert!(
            limiter
                .check(CLIENT, start + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn addresses_are_counted_apart() {
        let limiter = limiter(1);
        let now = Instant::now();
        limiter.record_failure(CLIENT, now);
        assert!(limiter.check(CLIENT, now).is_err());
        assert!(limiter.check(OTHER, now).is_ok());
    }

    #[test]
    fn a_new_window_starts_counting_from_zero() {
        let limiter = limiter(2);
        let start = Instant::now();
        limiter.record_failure(CLIENT, start);
        limiter.record_failure(CLIENT, start);
        let later = start + Duration::from_secs(61);
        limiter.record_failure(CLIENT, later);
        assert!(limiter.check(CLIENT, later).is_ok());
    }
}
