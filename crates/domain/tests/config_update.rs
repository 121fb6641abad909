//! `AutoSyncConfig` defaults and `apply_update`: turning on, changing the interval, turning off,
//! repeated requests that change nothing, and unpausing by turning on again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::TimeDelta;
use pulse_domain::{AutoSyncConfig, PausedReason, apply_update, is_due};
use support::{active_config, every, off_config, t0, t0_plus_hours, update, user};

#[test]
fn a_user_without_a_row_starts_off_every_24_hours_with_nothing_scheduled() {
    let config = AutoSyncConfig::defaults(user("u1"));
    assert_eq!(config.user_id, user("u1"));
    assert!(!config.enabled);
    assert_eq!(config.interval_hours.hours(), 24);
    assert_eq!(config.last_sync_at, None);
    assert_eq!(config.next_sync_at, None);
    assert_eq!(config.consecutive_failures, 0);
    assert_eq!(config.paused_reason, None);
    assert_eq!(config.last_error, None);
    assert_eq!(config.created_at, None);
    assert_eq!(config.updated_at, None);
    assert!(!config.is_active());
}

#[test]
fn turning_on_without_a_row_schedules_now_plus_the_default_interval() {
    let now = t0();
    let config = apply_update(None, &update("u1", true, None), now);
    assert!(config.enabled);
    assert_eq!(config.user_id, user("u1"));
    assert_eq!(config.interval_hours.hours(), 24);
    assert_eq!(config.next_sync_at, Some(now + TimeDelta::hours(24)));
    assert_eq!(config.last_sync_at, None);
    assert_eq!(config.created_at, Some(now));
    assert_eq!(config.updated_at, Some(now));
}

#[test]
fn turning_on_without_a_row_uses_the_requested_interval() {
    let now = t0();
    let config = apply_update(None, &update("u1", true, Some(6)), now);
    assert_eq!(config.interval_hours.hours(), 6);
    assert_eq!(config.next_sync_at, Some(now + TimeDelta::hours(6)));
}

#[test]
fn turning_on_from_off_schedules_from_now_not_from_the_last_sync() {
    let now = t0();
    let mut current = off_config("u1", 12);
    current.last_sync_at = Some(now - TimeDelta::hours(100));
    let created = current.created_at;

    let config = apply_update(Some(&current), &update("u1", true, None), now);

    assert!(config.enabled);
    assert_eq!(config.next_sync_at, Some(now + TimeDelta::hours(12)));
    assert_eq!(config.last_sync_at, current.last_sync_at);
    assert_eq!(config.created_at, created);
    assert_eq!(config.updated_at, Some(now));
}

#[test]
fn turning_on_from_off_with_a_new_interval_schedules_now_plus_the_new_interval() {
    let now = t0();
    let config = apply_update(
        Some(&off_config("u1", 24)),
        &update("u1", true, Some(2)),
        now,
    );
    assert_eq!(config.interval_hours.hours(), 2);
    assert_eq!(config.next_sync_at, Some(now + TimeDelta::hours(2)));
}

#[test]
fn changing_the_interval_while_on_schedules_from_the_last_sync() {
    let now = t0();
    let mut current = active_config("u1", 24, t0_plus_hours(20));
    current.last_sync_at = Some(now - TimeDelta::hours(4));

    let config = apply_update(Some(&current), &update("u1", true, Some(6)), now);

    assert_eq!(config.interval_hours.hours(), 6);
    assert_eq!(config.next_sync_at, Some(now + TimeDelta::hours(2)));
    assert_eq!(config.last_sync_at, current.last_sync_at);
    assert_eq!(config.updated_at, Some(now));
}

#[test]
fn changing_the_interval_while_on_without_any_sync_schedules_from_now() {
    let now = t0();
    let current = active_config("u1", 24, t0_plus_hours(20));
    let config = apply_update(Some(&current), &update("u1", true, Some(48)), now);
    assert_eq!(config.next_sync_at, Some(now + TimeDelta::hours(48)));
}

#[test]
fn a_shorter_interval_may_schedule_in_the_past_and_is_then_simply_due() {
    let now = t0();
    let mut current = active_config("u1", 24, t0_plus_hours(14));
    current.last_sync_at = Some(now - TimeDelta::hours(10));

    let config = apply_update(Some(&current), &update("u1", true, Some(2)), now);

    assert_eq!(config.next_sync_at, Some(now - TimeDelta::hours(8)));
    assert!(is_due(&config, now));
}

#[test]
fn turning_off_clears_the_schedule_and_keeps_the_last_sync() {
    let now = t0();
    let last = now - TimeDelta::hours(3);
    let mut current = active_config("u1", 24, t0_plus_hours(21));
    current.last_sync_at = Some(last);

    let config = apply_update(Some(&current), &update("u1", false, None), now);

    assert!(!config.enabled);
    assert_eq!(config.next_sync_at, None);
    assert_eq!(config.last_sync_at, Some(last));
    assert_eq!(config.interval_hours.hours(), 24);
    assert_eq!(config.updated_at, Some(now));
    assert!(!is_due(&config, now + TimeDelta::days(365)));
}

#[test]
fn turning_off_with_a_new_interval_stores_it_without_scheduling() {
    let now = t0();
    let current = active_config("u1", 24, t0_plus_hours(21));
    let config = apply_update(Some(&current), &update("u1", false, Some(72)), now);
    assert!(!config.enabled);
    assert_eq!(config.interval_hours.hours(), 72);
    assert_eq!(config.next_sync_at, None);
}

#[test]
fn sending_the_same_values_again_while_on_changes_nothing() {
    let first = apply_update(None, &update("u1", true, Some(6)), t0());
    let later = t0_plus_hours(3);

    let same_interval = apply_update(Some(&first), &update("u1", true, Some(6)), later);
    let interval_omitted = apply_update(Some(&first), &update("u1", true, None), later);

    assert_eq!(same_interval, first);
    assert_eq!(interval_omitted, first);
    assert_eq!(same_interval.next_sync_at, Some(t0_plus_hours(6)));
    assert_eq!(same_interval.updated_at, Some(t0()));
}

#[test]
fn sending_the_same_values_again_while_off_changes_nothing() {
    let current = off_config("u1", 24);
    let config = apply_update(
        Some(&current),
        &update("u1", false, Some(24)),
        t0_plus_hours(5),
    );
    assert_eq!(config, current);
}

#[test]
fn updated_at_moves_only_when_something_changes() {
    let created = t0();
    let on = apply_update(None, &update("u1", true, Some(24)), created);
    assert_eq!(on.updated_at, Some(created));

    let unchanged = apply_update(Some(&on), &update("u1", true, Some(24)), t0_plus_hours(1));
    assert_eq!(unchanged.updated_at, Some(created));

    let changed_at = t0_plus_hours(2);
    let changed = apply_update(Some(&unchanged), &update("u1", true, Some(12)), changed_at);
    assert_eq!(changed.updated_at, Some(changed_at));
    assert_eq!(changed.created_at, Some(created));

    let off_at = t0_plus_hours(3);
    let off = apply_update(Some(&changed), &update("u1", false, None), off_at);
    assert_eq!(off.updated_at, Some(off_at));

    let still_off = apply_update(Some(&off), &update("u1", false, None), t0_plus_hours(4));
    assert_eq!(still_off.updated_at, Some(off_at));
    assert_eq!(still_off.created_at, Some(created));
}

#[test]
fn saving_the_defaults_for_a_user_without_a_row_creates_the_row_unscheduled() {
    let now = t0();
    let config = apply_update(None, &update("u1", false, None), now);
    assert!(!config.enabled);
    assert_eq!(config.interval_hours, every(24));
    assert_eq!(config.next_sync_at, None);
    assert_eq!(config.created_at, Some(now));
}

#[test]
fn turning_on_a_config_paused_after_failures_unpauses_and_schedules_like_turning_on() {
    let now = t0();
    let mut paused = active_config("u1", 24, t0());
    paused.next_sync_at = None;
    paused.paused_reason = Some(PausedReason::TooManyFailures);
    paused.consecutive_failures = 10;
    paused.last_sync_at = Some(now - TimeDelta::days(3));

    let config = apply_update(Some(&paused), &update("u1", true, None), now);

    assert!(config.enabled);
    assert_eq!(config.paused_reason, None);
    assert_eq!(config.consecutive_failures, 0);
    assert_eq!(config.next_sync_at, Some(now + TimeDelta::hours(24)));
    assert_eq!(config.updated_at, Some(now));
    assert!(config.is_active());
}

#[test]
fn turning_on_a_config_paused_for_reauthorization_unpauses_it_with_the_new_interval() {
    let now = t0();
    let mut paused = active_config("u1", 24, t0());
    paused.next_sync_at = None;
    paused.paused_reason = Some(PausedReason::GoogleReauthRequired);
    paused.consecutive_failures = 1;
    paused.last_sync_at = Some(now - TimeDelta::hours(30));

    let config = apply_update(Some(&paused), &update("u1", true, Some(3)), now);

    assert_eq!(config.paused_reason, None);
    assert_eq!(config.interval_hours.hours(), 3);
    assert_eq!(config.next_sync_at, Some(now + TimeDelta::hours(3)));
}

#[test]
fn turning_off_a_paused_config_clears_the_pause() {
    let mut paused = active_config("u1", 24, t0());
    paused.next_sync_at = None;
    paused.paused_reason = Some(PausedReason::TooManyFailures);

    let config = apply_update(Some(&paused), &update("u1", false, None), t0());

    assert!(!config.enabled);
    assert_eq!(config.paused_reason, None);
    assert_eq!(config.next_sync_at, None);
}

#[test]
fn paused_reasons_have_stable_names() {
    for (reason, name) in [
        (PausedReason::TooManyFailures, "too_many_failures"),
        (PausedReason::GoogleReauthRequired, "google_reauth_required"),
    ] {
        assert_eq!(reason.as_str(), name);
        assert_eq!(PausedReason::parse(name), Ok(reason));
    }
    assert!(PausedReason::parse("tired").is_err());
}
