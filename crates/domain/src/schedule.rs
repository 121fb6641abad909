//! The auto-sync schedule: which configs are due, the never-drifting grid, and what a run's
//! success or failure does to the schedule (backoff, pausing).

use chrono::{DateTime, TimeDelta, Utc};

use crate::config::{AutoSyncConfig, PausedReason};

/// Consecutive transient failures after which auto-sync pauses itself.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 10;

/// The first retry delay after a transient failure; it doubles with each further failure.
pub const FIRST_RETRY_DELAY: TimeDelta = TimeDelta::minutes(5);

/// The largest jitter fraction a retry delay may be stretched or shrunk by.
pub const MAX_JITTER: f64 = 0.1;

/// What kind of failure ended a sync run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// Worth retrying: network, Google 5xx or 429, timeouts, database hiccups.
    Transient,
    /// Google refused the grant: only reconnecting helps.
    Authorization,
}

/// A failed run: its kind and the message a person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFailure {
    /// Transient or authorization.
    pub kind: FailureKind,
    /// What went wrong, in words a user understands; never a secret.
    pub message: String,
}

/// Whether an automatic sync is due: on, not paused, and its time has come.
pub fn is_due(config: &AutoSyncConfig, now: DateTime<Utc>) -> bool {
    config.is_active() && config.next_sync_at.is_some_and(|next| next <= now)
}

/// The due configs, earliest `next_sync_at` first, then by user id.
pub fn select_due(configs: &[AutoSyncConfig], now: DateTime<Utc>) -> Vec<&AutoSyncConfig> {
    let mut due: Vec<&AutoSyncConfig> = configs.iter().filter(|c| is_due(c, now)).collect();
    due.sort_by(|a, b| {
        a.next_sync_at
            .cmp(&b.next_sync_at)
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
    due
}

/// The first slot `next_sync_at + k * interval` (k >= 1) after `now`: one catch-up, never a burst.
pub fn next_grid_slot(
    next_sync_at: DateTime<Utc>,
    interval: TimeDelta,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let step = interval.num_seconds().max(1);
    let behind = (now - next_sync_at).num_seconds();
    let steps = if behind < 0 { 1 } else { behind / step + 1 };
    let mut slot = next_sync_at + TimeDelta::seconds(step * steps);
    while slot <= now {
        slot += TimeDelta::seconds(step);
    }
    slot
}

/// Moves a dispatched config's `next_sync_at` along its grid to the first slot after `now`.
///
/// When the dispatched sync was a retry, the grid resumes at the slot the retry stood in front
/// of (or the first slot after it that is still ahead), so failures never shift the schedule.
pub fn advance(config: &AutoSyncConfig, now: DateTime<Utc>) -> AutoSyncConfig {
    let mut next = config.clone();
    let interval = config.interval_hours.duration();
    let next_slot = match config.grid_slot_at {
        Some(slot) if slot > now => slot,
        Some(slot) => next_grid_slot(slot, interval, now),
        None => next_grid_slot(config.next_sync_at.unwrap_or(now), interval, now),
    };
    next.next_sync_at = Some(next_slot);
    next.grid_slot_at = None;
    next
}

/// Records a successful run that started at `started_at`: failures reset, error cleared, grid kept.
pub fn on_success(config: &AutoSyncConfig, started_at: DateTime<Utc>) -> AutoSyncConfig {
    let mut next = config.clone();
    next.last_sync_at = Some(started_at);
    next.consecutive_failures = 0;
    next.last_error = None;
    next
}

/// The backoff before the k-th consecutive retry: `min(interval, 5 min * 2^(k-1)) * (1 + jitter)`.
pub fn retry_delay(failures: u32, interval: TimeDelta, jitter: f64) -> TimeDelta {
    let exponent = failures.saturating_sub(1).min(20);
    let doubled = FIRST_RETRY_DELAY * (1_i32 << exponent);
    let base = doubled.min(interval);
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(-MAX_JITTER, MAX_JITTER)
    };
    let millis = base.num_milliseconds() as f64 * (1.0 + jitter);
    TimeDelta::milliseconds(millis.round() as i64)
}

/// Records a failed run: an authorization failure pauses at once; a transient one schedules a
/// retry no later than the grid's next slot, and the tenth in a row pauses auto-sync.
pub fn on_failure(
    config: &AutoSyncConfig,
    now: DateTime<Utc>,
    failure: &SyncFailure,
    jitter: f64,
) -> AutoSyncConfig {
    let mut next = config.clone();
    next.consecutive_failures = config.consecutive_failures.saturating_add(1);
    next.last_error = Some(failure.message.clone());
    match failure.kind {
        FailureKind::Authorization => pause(&mut next, PausedReason::GoogleReauthRequired),
        FailureKind::Transient
            if config.enabled && next.consecutive_failures >= MAX_CONSECUTIVE_FAILURES =>
        {
            pause(&mut next, PausedReason::TooManyFailures)
        }
        FailureKind::Transient if config.is_active() => {
            let interval = config.interval_hours.duration();
            let retry_at = now + retry_delay(next.consecutive_failures, interval, jitter);
            let grid = config
                .grid_slot_at
                .or(config.next_sync_at)
                .unwrap_or(retry_at);
            if retry_at < grid {
                next.next_sync_at = Some(retry_at);
                next.grid_slot_at = Some(grid);
            } else {
                next.next_sync_at = Some(grid);
                next.grid_slot_at = None;
            }
        }
        FailureKind::Transient => {}
    }
    next
}

fn pause(config: &mut AutoSyncConfig, reason: PausedReason) {
    config.paused_reason = Some(reason);
    config.next_sync_at = None;
    config.grid_slot_at = None;
}
