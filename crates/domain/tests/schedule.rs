//! The schedule: which configs are due and in what order, the never-drifting grid (`advance`), and
//! what a successful run does (`on_success`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::TimeDelta;
use pulse_domain::schedule::next_grid_slot;
use pulse_domain::{AutoSyncConfig, PausedReason, advance, is_due, on_success, select_due};
use support::{active_config, off_config, t0, t0_plus_hours, t0_plus_minutes};

fn ids(configs: &[&AutoSyncConfig]) -> Vec<String> {
    configs.iter().map(|c| c.user_id.to_string()).collect()
}

#[test]
fn an_active_config_is_due_once_its_time_has_come() {
    let config = active_config("u1", 24, t0());
    assert!(is_due(&config, t0()));
    assert!(is_due(&config, t0_plus_hours(5)));
}

#[test]
fn a_config_is_not_due_a_moment_before_its_time() {
    let config = active_config("u1", 24, t0());
    assert!(!is_due(&config, t0() - TimeDelta::milliseconds(1)));
}

#[test]
fn a_config_turned_off_is_never_due() {
    let mut config = active_config("u1", 24, t0());
    config.enabled = false;
    assert!(!is_due(&config, t0_plus_hours(1)));
    assert!(!is_due(&off_config("u2", 24), t0_plus_hours(1000)));
}

#[test]
fn a_paused_config_is_never_due_even_with_a_stale_time() {
    for reason in [
        PausedReason::TooManyFailures,
        PausedReason::GoogleReauthRequired,
    ] {
        let mut config = active_config("u1", 24, t0());
        config.paused_reason = Some(reason);
        assert!(!is_due(&config, t0_plus_hours(1)));
    }
}

#[test]
fn a_config_without_a_next_sync_is_not_due() {
    let mut config = active_config("u1", 24, t0());
    config.next_sync_at = None;
    assert!(!is_due(&config, t0_plus_hours(1000)));
}

#[test]
fn due_configs_come_earliest_first_then_by_user_id() {
    let now = t0();
    let mut paused = active_config("p", 1, t0_plus_hours(-9));
    paused.paused_reason = Some(PausedReason::TooManyFailures);
    let configs = vec![
        active_config("d", 1, t0_plus_minutes(-5)),
        active_config("c", 1, t0_plus_hours(-2)),
        active_config("later", 1, t0_plus_minutes(1)),
        active_config("b", 1, t0_plus_minutes(-5)),
        off_config("off", 1),
        paused,
        active_config("a", 1, now),
        active_config("e", 1, t0_plus_hours(-2)),
    ];

    let due = select_due(&configs, now);

    assert_eq!(ids(&due), ["c", "e", "b", "d", "a"]);
}

#[test]
fn nothing_is_due_when_every_time_is_ahead() {
    let configs = vec![
        active_config("a", 1, t0_plus_minutes(1)),
        active_config("b", 24, t0_plus_hours(3)),
    ];
    assert!(select_due(&configs, t0()).is_empty());
}

#[test]
fn advance_at_the_due_time_moves_one_interval_ahead() {
    let config = active_config("u1", 24, t0());
    let advanced = advance(&config, t0());
    assert_eq!(advanced.next_sync_at, Some(t0_plus_hours(24)));
}

#[test]
fn advance_a_little_late_stays_on_the_grid() {
    let config = active_config("u1", 24, t0());
    let advanced = advance(&config, t0_plus_minutes(7));
    assert_eq!(advanced.next_sync_at, Some(t0_plus_hours(24)));
}

#[test]
fn three_days_down_gives_one_catch_up_sync_not_three() {
    let config = active_config("u1", 24, t0());
    let back_up = t0_plus_hours(3 * 24 + 1);
    assert!(is_due(&config, back_up));

    let advanced = advance(&config, back_up);

    assert_eq!(advanced.next_sync_at, Some(t0_plus_hours(4 * 24)));
    assert!(!is_due(&advanced, back_up));
    assert_eq!(
        select_due(std::slice::from_ref(&advanced), back_up).len(),
        0
    );
}

#[test]
fn an_hourly_schedule_down_for_three_days_lands_on_the_next_hour_of_its_grid() {
    let config = active_config("u1", 1, t0());
    let advanced = advance(&config, t0_plus_minutes(72 * 60 + 30));
    assert_eq!(advanced.next_sync_at, Some(t0_plus_hours(73)));
}

#[test]
fn advance_lands_strictly_after_now_when_now_is_exactly_on_a_slot() {
    let config = active_config("u1", 6, t0());
    let advanced = advance(&config, t0_plus_hours(12));
    assert_eq!(advanced.next_sync_at, Some(t0_plus_hours(18)));
}

#[test]
fn advance_a_millisecond_before_a_slot_lands_on_that_slot() {
    let config = active_config("u1", 6, t0());
    let now = t0_plus_hours(12) - TimeDelta::milliseconds(1);
    let advanced = advance(&config, now);
    assert_eq!(advanced.next_sync_at, Some(t0_plus_hours(12)));
}

#[test]
fn advance_before_the_due_time_still_moves_at_least_one_interval() {
    let config = active_config("u1", 24, t0_plus_hours(2));
    let advanced = advance(&config, t0());
    assert_eq!(advanced.next_sync_at, Some(t0_plus_hours(26)));
}

#[test]
fn advance_without_a_schedule_starts_one_interval_from_now() {
    let mut config = active_config("u1", 12, t0());
    config.next_sync_at = None;
    let advanced = advance(&config, t0_plus_minutes(3));
    assert_eq!(
        advanced.next_sync_at,
        Some(t0_plus_minutes(3) + TimeDelta::hours(12))
    );
}

#[test]
fn advance_changes_nothing_but_the_next_sync() {
    let mut config = active_config("u1", 24, t0());
    config.last_sync_at = Some(t0_plus_hours(-24));
    config.consecutive_failures = 2;
    config.last_error = Some("timeout".to_owned());
    let advanced = advance(&config, t0_plus_minutes(1));
    assert_eq!(
        AutoSyncConfig {
            next_sync_at: config.next_sync_at,
            ..advanced
        },
        config
    );
}

#[test]
fn the_grid_slot_function_keeps_sub_second_offsets_of_the_grid() {
    let anchor = t0() + TimeDelta::milliseconds(250);
    let slot = next_grid_slot(anchor, TimeDelta::hours(1), t0_plus_hours(5));
    assert_eq!(slot, anchor + TimeDelta::hours(5));
}

#[test]
fn success_records_the_start_resets_failures_and_keeps_the_grid() {
    let mut config = active_config("u1", 24, t0_plus_hours(24));
    config.consecutive_failures = 4;
    config.last_error = Some("Google answered 503".to_owned());
    let started = t0_plus_minutes(-2);

    let done = on_success(&config, started);

    assert_eq!(done.last_sync_at, Some(started));
    assert_eq!(done.consecutive_failures, 0);
    assert_eq!(done.last_error, None);
    assert_eq!(done.next_sync_at, Some(t0_plus_hours(24)));
    assert_eq!(done.interval_hours, config.interval_hours);
    assert!(done.enabled);
}

#[test]
fn a_day_of_dispatches_and_successes_never_drifts() {
    let mut config = active_config("u1", 6, t0());
    for run in 0..8_i64 {
        let slot = t0_plus_hours(6 * run);
        let dispatched_at = slot + TimeDelta::seconds(17 + run * 3);
        assert!(is_due(&config, dispatched_at));
        config = advance(&config, dispatched_at);
        config = on_success(&config, dispatched_at);
        assert_eq!(config.next_sync_at, Some(slot + TimeDelta::hours(6)));
    }
}
