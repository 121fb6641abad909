//! Fixtures shared by the domain's integration tests: fixed instants, ids, intervals and configs.
#![allow(
    dead_code,
    reason = "each test file uses a different subset of the fixtures"
)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use pulse_domain::{AutoSyncConfig, ConfigUpdate, SyncInterval, UserId};

/// A fixed instant all scenarios start from: 2025-03-01 12:00:00 UTC.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

/// `t0` shifted by whole minutes.
pub fn t0_plus_minutes(minutes: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(minutes)
}

/// `t0` shifted by whole hours.
pub fn t0_plus_hours(hours: i64) -> DateTime<Utc> {
    t0() + TimeDelta::hours(hours)
}

/// A valid user id.
pub fn user(raw: &str) -> UserId {
    UserId::parse(raw).unwrap()
}

/// A valid interval.
pub fn every(hours: i64) -> SyncInterval {
    SyncInterval::from_hours(hours).unwrap()
}

/// An update for `user_id`.
pub fn update(user_id: &str, enabled: bool, interval_hours: Option<i64>) -> ConfigUpdate {
    ConfigUpdate {
        user_id: user(user_id),
        enabled,
        interval_hours: interval_hours.map(every),
    }
}

/// A stored, enabled, unpaused config whose next sync is at `next_sync_at`.
pub fn active_config(
    user_id: &str,
    interval_hours: i64,
    next_sync_at: DateTime<Utc>,
) -> AutoSyncConfig {
    AutoSyncConfig {
        user_id: user(user_id),
        enabled: true,
        interval_hours: every(interval_hours),
        last_sync_at: None,
        next_sync_at: Some(next_sync_at),
        grid_slot_at: None,
        consecutive_failures: 0,
        paused_reason: None,
        last_error: None,
        created_at: Some(t0() - TimeDelta::days(30)),
        updated_at: Some(t0() - TimeDelta::days(30)),
    }
}

/// A stored config the user turned off.
pub fn off_config(user_id: &str, interval_hours: i64) -> AutoSyncConfig {
    AutoSyncConfig {
        enabled: false,
        next_sync_at: None,
        ..active_config(user_id, interval_hours, t0())
    }
}

pub mod persons;

pub mod strategies;
