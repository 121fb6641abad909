//! `TokenCache`: access tokens per user and grant, refreshed shortly before they expire, with one
//! refresh in flight per grant however many callers need a token at once.
//!
//! Entries are keyed by the user id and a SHA-256 of the refresh token, so the refresh token itself
//! is never a map key, and nothing here logs either.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pulse_domain::ports::SourceError;
use pulse_domain::{Secret, UserId};
use sha2::{Digest, Sha256};

use crate::oauth::FreshToken;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct GrantKey {
    user: UserId,
    refresh_hash: [u8; 32],
}

impl GrantKey {
    fn new(user: &UserId, refresh_token: &Secret) -> Self {
        Self {
            user: user.clone(),
            refresh_hash: hash_token(refresh_token),
        }
    }
}

fn hash_token(token: &Secret) -> [u8; 32] {
    Sha256::digest(token.expose().as_bytes()).into()
}

enum Slot {
    Empty,
    Ready {
        token: Secret,
        /// When to refresh; `None` when Google gave no lifetime (then a 401 tells).
        refresh_at: Option<Instant>,
    },
    Failed {
        error: SourceError,
        at: Instant,
    },
}

type SharedSlot = Arc<tokio::sync::Mutex<Slot>>;

/// The access-token cache shared by every listing of one client.
pub(crate) struct TokenCache {
    slots: Mutex<HashMap<GrantKey, SharedSlot>>,
    margin: Duration,
}

impl TokenCache {
    /// A cache that refreshes `margin` before expiry (at most half a token's lifetime early).
    pub fn new(margin: Duration) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            margin,
        }
    }

    /// The cached access token, or a fresh one from `refresh`. Callers that arrive while a
    /// refresh for the same grant is in flight wait for it and share its result, success or
    /// failure.
    pub async fn access_token<F, Fut>(
        &self,
        user: &UserId,
        refresh_token: &Secret,
        refresh: F,
    ) -> Result<Secret, SourceError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FreshToken, SourceError>>,
    {
        let asked_at = Instant::now();
        let slot = self.slot(GrantKey::new(user, refresh_token));
        let mut state = slot.lock().await;
        match &*state {
            Slot::Ready { token, refresh_at }
                if refresh_at.is_none_or(|at| Instant::now() < at) =>
            {
                return Ok(token.clone());
            }
            Slot::Failed { error, at } if *at >= asked_at => return Err(error.clone()),
            _ => {}
        }
        let requested_at = Instant::now();
        match refresh().await {
            Ok(fresh) => {
                let refresh_at = fresh.expires_in.and_then(|lifetime| {
                    requested_at.checked_add(lifetime - self.margin.min(lifetime / 2))
                });
                *state = Slot::Ready {
                    token: fresh.access_token.clone(),
                    refresh_at,
                };
                Ok(fresh.access_token)
            }
            Err(error) => {
                *state = Slot::Failed {
                    error: error.clone(),
                    at: Instant::now(),
                };
                Err(error)
            }
        }
    }

    /// Drops the cached token if it is still `stale` (Google answered 401 to it); a token another
    /// caller already replaced stays.
    pub async fn invalidate(&self, user: &UserId, refresh_token: &Secret, stale: &Secret) {
        let slot = self.slot(GrantKey::new(user, refresh_token));
        let mut state = slot.lock().await;
        if matches!(&*state, Slot::Ready { token, .. } if token == stale) {
            *state = Slot::Empty;
        }
    }

    /// Forgets every entry of a refresh token (after it was revoked).
    pub fn forget(&self, refresh_token: &Secret) {
        let hash = hash_token(refresh_token);
        self.lock_slots().retain(|key, _| key.refresh_hash != hash);
    }

    fn slot(&self, key: GrantKey) -> SharedSlot {
        self.lock_slots()
            .entry(key)
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(Slot::Empty)))
            .clone()
    }

    fn lock_slots(&self) -> std::sync::MutexGuard<'_, HashMap<GrantKey, SharedSlot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn user() -> UserId {
        UserId::parse("user-1").unwrap()
    }

    fn fresh(token: &str, lifetime: Option<Duration>) -> FreshToken {
        FreshToken {
            access_token: Secret::new(token),
            expires_in: lifetime,
        }
    }

    #[tokio::test]
    async fn a_fresh_token_is_reused() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let refresh = Secret::new("r1");
        let calls = AtomicU32::new(0);
        for _ in 0..3 {
            let token = cache
                .access_token(&user(), &refresh, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(fresh("a1", Some(Duration::from_secs(3600))))
                })
                .await
                .unwrap();
            assert_eq!(token.expose(), "a1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_token_inside_the_margin_is_refreshed() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let refresh = Secret::new("r1");
        let calls = AtomicU32::new(0);
        for _ in 0..2 {
            cache
                .access_token(&user(), &refresh, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    // Half of a zero lifetime is zero: due at once.
                    Ok(fresh("a", Some(Duration::ZERO)))
                })
                .await
                .unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn invalidate_drops_only_the_stale_token() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let refresh = Secret::new("r1");
        let first = cache
            .access_token(&user(), &refresh, || async { Ok(fresh("a1", None)) })
            .await
            .unwrap();
        cache
            .invalidate(&user(), &refresh, &Secret::new("other"))
            .await;
        let same = cache
            .access_token(&user(), &refresh, || async { Ok(fresh("a2", None)) })
            .await
            .unwrap();
        assert_eq!(same, first);
        cache.invalidate(&user(), &refresh, &first).await;
        let next = cache
            .access_token(&user(), &refresh, || async { Ok(fresh("a2", None)) })
            .await
            .unwrap();
        assert_eq!(next.expose(), "a2");
    }

    #[tokio::test]
    async fn grants_are_kept_apart_by_user_and_refresh_token() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let other_user = UserId::parse("user-2").unwrap();
        let a = cache
            .access_token(&user(), &Secret::new("r1"), || async {
                Ok(fresh("a", None))
            })
            .await
            .unwrap();
        let b = cache
            .access_token(&other_user, &Secret::new("r1"), || async {
                Ok(fresh("b", None))
            })
            .await
            .unwrap();
        let c = cache
            .access_token(&user(), &Secret::new("r2"), || async {
                Ok(fresh("c", None))
            })
            .await
            .unwrap();
        assert_eq!([a.expose(), b.expose(), c.expose()], ["a", "b", "c"]);
        cache.forget(&Secret::new("r1"));
        let again = cache
            .access_token(&user(), &Secret::new("r1"), || async {
                Ok(fresh("d", None))
            })
            .await
            .unwrap();
        assert_eq!(again.expose(), "d");
    }

    #[tokio::test]
    async fn a_later_caller_retries_after_a_failure() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let refresh = Secret::new("r1");
        let failed = cache
            .access_token(&user(), &refresh, || async {
                Err(SourceError::Transient {
                    detail: "down".to_owned(),
                })
            })
            .await;
        assert!(failed.is_err());
        let token = cache
            .access_token(&user(), &refresh, || async { Ok(fresh("a", None)) })
            .await
            .unwrap();
        assert_eq!(token.expose(), "a");
    }
}
