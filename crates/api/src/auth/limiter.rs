//! `AuthFailureLimiter`: counts failed authentication attempts per client (an IPv4 address or an
//! IPv6 /64) in fixed windows, so a client guessing keys is answered 429 once it has used up its
//! window. It is consulted only for a key that failed: a valid key is never refused.
//!
//! Memory is bounded: the counters live in [`SHARDS`] shards of at most
//! [`MAX_TRACKED_CLIENTS`]` / SHARDS` entries each; a full shard forgets its oldest-tracked client
//! (first in, first out), so every call is a hash lookup plus at most one eviction under one
//! shard's lock, however many addresses flood it.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::auth::client_address::ClientKey;
use crate::config::AuthFailureLimit;

/// The most clients whose failures are remembered at once (about 6 MiB of counters).
pub(crate) const MAX_TRACKED_CLIENTS: usize = 100_000;

/// Independent locks, so a flood from many addresses does not serialize every request.
const SHARDS: usize = 64;

/// One client's current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// One shard: the counters and the order their clients were first tracked in.
#[derive(Debug, Default)]
struct Shard {
    windows: HashMap<ClientKey, Window>,
    order: VecDeque<ClientKey>,
}

/// The failed-attempt counters of all clients.
#[derive(Debug)]
pub(crate) struct AuthFailureLimiter {
    limit: AuthFailureLimit,
    hasher: RandomState,
    shards: Box<[Mutex<Shard>]>,
}

impl AuthFailureLimiter {
    /// A limiter enforcing `limit`.
    pub(crate) fn new(limit: AuthFailureLimit) -> Self {
        Self {
            limit,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    /// Counts one failed attempt of `client`; `Err(seconds to wait)` once it has failed more than
    /// the limit in its current window.
    pub(crate) fn record_failure(&self, client: ClientKey, now: Instant) -> Result<(), Duration> {
        let mut shard = self.shard(client);
        let shard = &mut *shard;
        if !shard.windows.contains_key(&client) {
            while shard.windows.len() >= MAX_TRACKED_CLIENTS / SHARDS {
                match shard.order.pop_front() {
                    Some(oldest) => {
                        shard.windows.remove(&oldest);
                    }
                    None => break,
                }
            }
            shard.order.push_back(client);
        }
        let window = shard.windows.entry(client).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now.duration_since(window.started) >= self.limit.window {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
        if window.failures > self.limit.max_failures {
            Err(self.limit.window - now.duration_since(window.started))
        } else {
            Ok(())
        }
    }

    /// How many clients are tracked now.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| lock(shard).windows.len())
            .sum()
    }

    fn shard(&self, client: ClientKey) -> std::sync::MutexGuard<'_, Shard> {
        let index = (self.hasher.hash_one(client) % SHARDS as u64) as usize;
        lock(&self.shards[index])
    }
}

fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::*;

    fn limiter(max_failures: u32) -> AuthFailureLimiter {
        AuthFailureLimiter::new(AuthFailureLimit {
            max_failures,
            window: Duration::from_secs(60),
        })
    }

    fn client(last: u8) -> ClientKey {
        ClientKey::of(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    #[test]
    fn allows_up_to_the_limit_then_refuses_until_the_window_ends() {
        let limiter = limiter(3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.record_failure(client(7), start).is_ok());
        }
        let wait = limiter
            .record_failure(client(7), start + Duration::from_secs(10))
            .expect_err("limit reached");
        assert_eq!(wait, Duration::from_secs(50));
        assert!(
            limiter
                .record_failure(client(7), start + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn clients_are_counted_apart() {
        let limiter = limiter(1);
        let now = Instant::now();
        assert!(limiter.record_failure(client(7), now).is_ok());
        assert!(limiter.record_failure(client(7), now).is_err());
        assert!(limiter.record_failure(client(8), now).is_ok());
    }

    #[test]
    fn memory_stays_bounded_under_a_million_distinct_addresses() {
        let limiter = limiter(5);
        let now = Instant::now();
        let flooder = ClientKey::of(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)));
        for _ in 0..10 {
            let _ = limiter.record_failure(flooder, now);
        }
        for n in 0..1_000_000_u32 {
            let address = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
            assert!(limiter.record_failure(ClientKey::of(address), now).is_ok());
            if n % 4096 == 0 {
                assert!(
                    limiter.tracked() <= MAX_TRACKED_CLIENTS,
                    "after {n} addresses"
                );
            }
        }
        let tracked = limiter.tracked();
        assert!(tracked <= MAX_TRACKED_CLIENTS, "{tracked} clients tracked");
        assert!(
            tracked >= MAX_TRACKED_CLIENTS / 2,
            "{tracked}: the table is used"
        );
    }
}
