//! `RateLimits`: the process-wide and per-user request-rate limiters every Google request waits on.
//!
//! Both are GCRA limiters from `governor`: a quota of N requests per minute with a small burst, so
//! many users syncing at once stay under the Google project's per-minute quota and no single user
//! trips the per-user one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock, ReasonablyRealtime};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Jitter, Quota, RateLimiter};
use pulse_domain::UserId;

use crate::config::RateLimitConfig;

type DirectLimiter<C> =
    RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;
type UserLimiter<C> =
    RateLimiter<UserId, DefaultKeyedStateStore<UserId>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// Forget idle users' limiter state after this many admissions.
const RETAIN_RECENT_EVERY: u64 = 4096;

/// Spread waiters that wake together, so they do not retry in lock-step.
const WAKE_JITTER: Duration = Duration::from_millis(25);

/// The project limiter and the per-user limiter, shared by every request of this process.
pub struct RateLimits<C: Clock = DefaultClock> {
    project: DirectLimiter<C>,
    users: UserLimiter<C>,
    admitted: AtomicU64,
}

impl RateLimits<DefaultClock> {
    /// Limiters on the real clock.
    pub fn new(config: &RateLimitConfig) -> Self {
        Self::with_clock(config, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimits<C> {
    /// Limiters on the given clock (tests use `governor::clock::FakeRelativeClock`).
    pub fn with_clock(config: &RateLimitConfig, clock: C) -> Self {
        let project = Quota::per_minute(config.project_rpm).allow_burst(config.project_burst);
        let user = Quota::per_minute(config.user_rpm).allow_burst(config.user_burst);
        Self {
            project: RateLimiter::direct_with_clock(project, clock.clone()),
            users: RateLimiter::dashmap_with_clock(user, clock),
            admitted: AtomicU64::new(0),
        }
    }
}

impl<C: Clock> RateLimits<C> {
    /// Admits one request now if both limits allow it; `false` means it would have to wait.
    ///
    /// The user's limit is checked first; a request it admits but the project limit refuses
    /// still uses up that user's slot.
    pub fn try_acquire(&self, user: Option<&UserId>) -> bool {
        if let Some(user) = user
            && self.users.check_key(user).is_err()
        {
            return false;
        }
        let admitted = self.project.check().is_ok();
        if admitted {
            self.note_admission();
        }
        admitted
    }

    /// How many requests these limiters admitted so far.
    pub fn admitted(&self) -> u64 {
        self.admitted.load(Ordering::Relaxed)
    }

    fn note_admission(&self) {
        let count = self.admitted.fetch_add(1, Ordering::Relaxed) + 1;
        if count.is_multiple_of(RETAIN_RECENT_EVERY) {
            self.users.retain_recent();
        }
    }
}

impl<C: ReasonablyRealtime> RateLimits<C> {
    /// Waits until both the user's limit (when there is a user) and the project limit admit one
    /// request.
    pub async fn acquire(&self, user: Option<&UserId>) {
        let jitter = Jitter::up_to(WAKE_JITTER);
        if let Some(user) = user {
            self.users.until_key_ready_with_jitter(user, jitter).await;
        }
        self.project.until_ready_with_jitter(jitter).await;
        self.note_admission();
    }
}
