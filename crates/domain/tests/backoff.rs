//! What a failed run does: the transient backoff `min(interval, 5 min * 2^(k-1)) * (1 + jitter)`
//! bounded by the grid's next slot, pausing after ten in a row, and pausing at once when Google
//! refuses the grant.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::TimeDelta;
use pulse_domain::schedule::{MAX_CONSECUTIVE_FAILURES, retry_delay};
use pulse_domain::{
    AutoSyncConfig, FailureKind, PausedReason, SyncFailure, advance, is_due, on_failure, on_success,
};
use support::{active_config, off_config, t0, t0_plus_hours, t0_plus_minutes};

fn transient() -> SyncFailure {
    SyncFailure {
        kind: FailureKind::Transient,
        message: "Google answered 503".to_owned(),
    }
}

fn authorization() -> SyncFailure {
    SyncFailure {
        kind: FailureKind::Authorization,
        message: "Google access was revoked; reconnect your account".to_owned(),
    }
}

/// A config dispatched at `t0` (already advanced to its next grid slot) that has failed `k` times.
fn dispatched(interval_hours: i64, failures: u32) -> AutoSyncConfig {
    let mut config = advance(&active_config("u1", interval_hours, t0()), t0());
    config.consecutive_failures = failures;
    config
}

#[test]
fn the_delay_doubles_from_five_minutes() {
    let day = TimeDelta::hours(24);
    let expected_minutes = [5, 10, 20, 40, 80, 160, 320, 640, 1280];
    for (k, minutes) in (1..).zip(expected_minutes) {
        assert_eq!(
            retry_delay(k, day, 0.0),
            TimeDelta::minutes(minutes),
            "failure {k}"
        );
    }
}

#[test]
fn the_delay_never_exceeds_the_interval() {
    let hour = TimeDelta::hours(1);
    assert_eq!(retry_delay(4, hour, 0.0), TimeDelta::minutes(40));
    assert_eq!(retry_delay(5, hour, 0.0), hour);
    assert_eq!(retry_delay(9, hour, 0.0), hour);
    assert_eq!(retry_delay(40, hour, 0.0), hour);
    assert_eq!(
        retry_delay(u32::MAX, TimeDelta::hours(720), 0.0),
        TimeDelta::hours(720)
    );
}

#[test]
fn jitter_stretches_or_shrinks_the_delay_by_its_fraction() {
    let day = TimeDelta::hours(24);
    assert_eq!(retry_delay(1, day, 0.1), TimeDelta::seconds(330));
    assert_eq!(retry_delay(1, day, -0.1), TimeDelta::seconds(270));
    assert_eq!(retry_delay(2, day, 0.05), TimeDelta::seconds(630));
    let hour = TimeDelta::hours(1);
    assert_eq!(retry_delay(6, hour, 0.1), TimeDelta::minutes(66));
}

#[test]
fn jitter_outside_a_tenth_is_clamped() {
    let day = TimeDelta::hours(24);
    assert_eq!(retry_delay(1, day, 0.5), TimeDelta::seconds(330));
    assert_eq!(retry_delay(1, day, 7.0), TimeDelta::seconds(330));
    assert_eq!(retry_delay(1, day, -0.5), TimeDelta::seconds(270));
    assert_eq!(retry_delay(1, day, -3.0), TimeDelta::seconds(270));
    assert_eq!(retry_delay(1, day, f64::INFINITY), TimeDelta::seconds(330));
    assert_eq!(
        retry_delay(1, day, f64::NEG_INFINITY),
        TimeDelta::seconds(270)
    );
}

#[test]
fn a_first_transient_failure_retries_five_minutes_later() {
    let config = dispatched(24, 0);
    let now = t0_plus_minutes(1);

    let failed = on_failure(&config, now, &transient(), 0.0);

    assert_eq!(failed.consecutive_failures, 1);
    assert_eq!(failed.next_sync_at, Some(now + TimeDelta::minutes(5)));
    assert_eq!(failed.last_error.as_deref(), Some("Google answered 503"));
    assert_eq!(failed.paused_reason, None);
    assert!(failed.enabled);
    assert!(!is_due(&failed, now));
    assert!(is_due(&failed, now + TimeDelta::minutes(5)));
}

#[test]
fn the_kth_failure_in_a_row_waits_for_the_kth_delay() {
    let now = t0_plus_minutes(1);
    for (failures_before, minutes) in [(1, 10), (2, 20), (3, 40), (4, 80), (8, 1280)] {
        let mut config = dispatched(720, failures_before);
        config.next_sync_at = Some(t0_plus_hours(720));
        let failed = on_failure(&config, now, &transient(), 0.0);
        assert_eq!(failed.consecutive_failures, failures_before + 1);
        assert_eq!(
            failed.next_sync_at,
            Some(now + TimeDelta::minutes(minutes)),
            "failure {}",
            failures_before + 1
        );
    }
}

#[test]
fn jitter_moves_the_retry_time() {
    let config = dispatched(24, 0);
    let now = t0_plus_minutes(1);
    let early = on_failure(&config, now, &transient(), -0.1);
    let late = on_failure(&config, now, &transient(), 0.1);
    assert_eq!(early.next_sync_at, Some(now + TimeDelta::seconds(270)));
    assert_eq!(late.next_sync_at, Some(now + TimeDelta::seconds(330)));
}

#[test]
fn a_retry_is_never_later_than_the_grids_next_slot() {
    let mut config = active_config("u1", 1, t0());
    config = advance(&config, t0_plus_minutes(40));
    assert_eq!(config.next_sync_at, Some(t0_plus_hours(1)));
    config.consecutive_failures = 3;

    let failed = on_failure(&config, t0_plus_minutes(40), &transient(), 0.1);

    assert_eq!(failed.next_sync_at, Some(t0_plus_hours(1)));
}

#[test]
fn a_grid_slot_already_passed_during_a_long_run_makes_the_retry_due_at_once() {
    let config = dispatched(1, 0);
    let now = t0_plus_minutes(75);
    let failed = on_failure(&config, now, &transient(), 0.0);
    assert_eq!(failed.next_sync_at, Some(t0_plus_hours(1)));
    assert!(is_due(&failed, now));
}

#[test]
fn nine_failures_in_a_row_keep_retrying_and_the_tenth_pauses() {
    let mut config = dispatched(24, 0);
    let mut now = t0_plus_minutes(1);
    for k in 1..MAX_CONSECUTIVE_FAILURES {
        config = on_failure(&config, now, &transient(), 0.0);
        assert_eq!(config.consecutive_failures, k);
        assert_eq!(config.paused_reason, None, "failure {k} must not pause");
        let next = config.next_sync_at.expect("a retry is scheduled");
        assert!(next > now);
        now = next;
        config = advance(&config, now);
    }

    let paused = on_failure(&config, now, &transient(), 0.0);

    assert_eq!(MAX_CONSECUTIVE_FAILURES, 10);
    assert_eq!(paused.consecutive_failures, 10);
    assert_eq!(paused.paused_reason, Some(PausedReason::TooManyFailures));
    assert_eq!(paused.next_sync_at, None);
    assert!(paused.enabled, "the user's choice stays on");
    assert_eq!(paused.last_error.as_deref(), Some("Google answered 503"));
    assert!(!is_due(&paused, now + TimeDelta::days(100)));
}

#[test]
fn a_success_resets_the_count_so_failures_must_be_consecutive_to_pause() {
    let mut config = dispatched(24, 0);
    let now = t0_plus_minutes(1);
    for _ in 0..9 {
        config = on_failure(&config, now, &transient(), 0.0);
    }
    config = on_success(&config, now);
    for _ in 0..9 {
        config = on_failure(&config, now, &transient(), 0.0);
    }
    assert_eq!(config.consecutive_failures, 9);
    assert_eq!(config.paused_reason, None);
    assert!(config.next_sync_at.is_some());
}

#[test]
fn an_authorization_failure_pauses_at_once() {
    let config = dispatched(24, 0);
    let now = t0_plus_minutes(1);

    let paused = on_failure(&config, now, &authorization(), 0.0);

    assert_eq!(
        paused.paused_reason,
        Some(PausedReason::GoogleReauthRequired)
    );
    assert_eq!(paused.next_sync_at, None);
    assert_eq!(paused.consecutive_failures, 1);
    assert_eq!(
        paused.last_error.as_deref(),
        Some("Google access was revoked; reconnect your account")
    );
    assert!(paused.enabled);
    assert!(!is_due(&paused, now + TimeDelta::days(30)));
}

#[test]
fn an_authorization_failure_overrides_an_earlier_pause_reason() {
    let mut config = dispatched(24, 9);
    config.paused_reason = Some(PausedReason::TooManyFailures);
    config.next_sync_at = None;
    let paused = on_failure(&config, t0(), &authorization(), 0.0);
    assert_eq!(
        paused.paused_reason,
        Some(PausedReason::GoogleReauthRequired)
    );
    assert_eq!(paused.next_sync_at, None);
}

#[test]
fn a_transient_failure_of_a_config_turned_off_schedules_nothing() {
    let config = off_config("u1", 24);
    let failed = on_failure(&config, t0(), &transient(), 0.0);
    assert_eq!(failed.next_sync_at, None);
    assert_eq!(failed.consecutive_failures, 1);
    assert!(!is_due(&failed, t0_plus_hours(48)));
}

#[test]
fn a_transient_failure_of_a_paused_config_does_not_reschedule_it() {
    let mut config = dispatched(24, 1);
    config.paused_reason = Some(PausedReason::GoogleReauthRequired);
    config.next_sync_at = None;
    let failed = on_failure(&config, t0(), &transient(), 0.0);
    assert_eq!(failed.next_sync_at, None);
    assert_eq!(
        failed.paused_reason,
        Some(PausedReason::GoogleReauthRequired)
    );
}

#[test]
fn a_nan_jitter_counts_as_no_jitter() {
    let day = TimeDelta::hours(24);
    assert_eq!(retry_delay(1, day, f64::NAN), TimeDelta::minutes(5));
}

#[test]
fn failures_of_a_turned_off_config_never_pause_it() {
    let mut config = off_config("u1", 24);
    config.consecutive_failures = MAX_CONSECUTIVE_FAILURES + 3;
    let failed = on_failure(&config, t0(), &transient(), 0.0);
    assert_eq!(failed.paused_reason, None);
    assert_eq!(failed.next_sync_at, None);
    assert_eq!(failed.consecutive_failures, MAX_CONSECUTIVE_FAILURES + 4);
}
