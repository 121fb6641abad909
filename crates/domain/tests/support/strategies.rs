//! proptest strategies for instants, user ids, intervals, configs and updates.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::option;
use proptest::prelude::*;
use pulse_domain::{AutoSyncConfig, ConfigUpdate, PausedReason, SyncInterval, UserId};

use super::t0;

/// Ten years in milliseconds.
const TEN_YEARS_MS: i64 = 10 * 365 * 24 * 3_600_000;

/// An instant within ten years of `t0`, with millisecond precision.
pub fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (-TEN_YEARS_MS..TEN_YEARS_MS).prop_map(|ms| t0() + TimeDelta::milliseconds(ms))
}

/// A valid interval from 1 to 720 hours.
pub fn interval() -> impl Strategy<Value = SyncInterval> {
    (1_i64..=720).prop_map(|hours| SyncInterval::from_hours(hours).unwrap())
}

/// One of a few user ids, so ties and repeats happen.
pub fn user_id() -> impl Strategy<Value = UserId> {
    prop::sample::select(vec!["alice", "bob", "carol", "dave", "eve", "u-01", "Zed"])
        .prop_map(|raw| UserId::parse(raw).unwrap())
}

/// Either pause reason.
pub fn paused_reason() -> impl Strategy<Value = PausedReason> {
    prop_oneof![
        Just(PausedReason::TooManyFailures),
        Just(PausedReason::GoogleReauthRequired),
    ]
}

/// Any config, consistent or not: every field drawn independently.
pub fn config() -> impl Strategy<Value = AutoSyncConfig> {
    (
        user_id(),
        any::<bool>(),
        interval(),
        option::of(instant()),
        option::of(instant()),
        0_u32..12,
        option::of(paused_reason()),
        option::of("[a-z ]{0,12}"),
        option::of(instant()),
        option::of(instant()),
    )
        .prop_map(
            |(
                user_id,
                enabled,
                interval_hours,
                last_sync_at,
                next_sync_at,
                consecutive_failures,
                paused_reason,
                last_error,
                created_at,
                updated_at,
            )| AutoSyncConfig {
                user_id,
                enabled,
                interval_hours,
                last_sync_at,
                next_sync_at,
                grid_slot_at: None,
                consecutive_failures,
                paused_reason,
                last_error,
                created_at,
                updated_at,
            },
        )
}

/// A config that is off or paused: what "turning on" starts from.
pub fn inactive_config() -> impl Strategy<Value = AutoSyncConfig> {
    (config(), any::<bool>(), paused_reason()).prop_map(|(mut config, turned_off, reason)| {
        if turned_off {
            config.enabled = false;
        } else {
            config.paused_reason = Some(reason);
        }
        config
    })
}

/// Any settings change for one of the users.
pub fn update() -> impl Strategy<Value = ConfigUpdate> {
    (user_id(), any::<bool>(), option::of(interval())).prop_map(
        |(user_id, enabled, interval_hours)| ConfigUpdate {
            user_id,
            enabled,
            interval_hours,
        },
    )
}
