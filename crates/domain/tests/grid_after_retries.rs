//! Failures never shift the schedule: after a retry (or any number of them) is dispatched, the
//! next automatic sync is back on the grid the user's interval defines.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use pulse_domain::{
    AutoSyncConfig, FailureKind, SyncFailure, advance, is_due, on_failure, on_success,
};
use support::{active_config, t0, t0_plus_hours, t0_plus_minutes};

fn transient() -> SyncFailure {
    SyncFailure {
        kind: FailureKind::Transient,
        message: "Google answered 503".to_owned(),
    }
}

fn on_grid(at: DateTime<Utc>, anchor: DateTime<Utc>, interval: TimeDelta) -> bool {
    (at - anchor)
        .num_seconds()
        .rem_euclid(interval.num_seconds())
        == 0
}

#[test]
fn a_daily_sync_whose_retry_succeeds_stays_at_its_hour() {
    let dispatched = advance(&active_config("u1", 24, t0()), t0());
    assert_eq!(dispatched.next_sync_at, Some(t0_plus_hours(24)));

    let failed = on_failure(&dispatched, t0_plus_minutes(1), &transient(), 0.0);
    assert_eq!(
        failed.next_sync_at,
        Some(t0_plus_minutes(6)),
        "the retry comes first"
    );
    assert_eq!(
        failed.grid_slot_at,
        Some(t0_plus_hours(24)),
        "the grid slot is kept"
    );
    assert!(is_due(&failed, t0_plus_minutes(6)));

    let retried = advance(&failed, t0_plus_minutes(6));
    assert_eq!(
        retried.next_sync_at,
        Some(t0_plus_hours(24)),
        "back on the grid"
    );
    assert_eq!(retried.grid_slot_at, None);
    let succeeded = on_success(&retried, t0_plus_minutes(6));
    assert_eq!(succeeded.next_sync_at, Some(t0_plus_hours(24)));
}

#[test]
fn a_retry_dispatched_after_its_grid_slot_passed_resumes_at_the_next_slot() {
    let mut failed = on_failure(
        &advance(&active_config("u1", 1, t0()), t0()),
        t0(),
        &transient(),
        0.0,
    );
    failed.next_sync_at = Some(t0_plus_minutes(5));
    failed.grid_slot_at = Some(t0_plus_hours(1));

    let late = advance(&failed, t0_plus_minutes(150));

    assert_eq!(late.next_sync_at, Some(t0_plus_hours(3)));
}

#[test]
fn a_retry_later_than_the_grid_slot_leaves_only_the_grid() {
    let mut config = advance(&active_config("u1", 4, t0()), t0());
    config.consecutive_failures = 8;
    let failed = on_failure(&config, t0_plus_minutes(1), &transient(), 0.0);
    assert_eq!(failed.next_sync_at, Some(t0_plus_hours(4)));
    assert_eq!(failed.grid_slot_at, None);
}

/// One event in the life of an active config.
#[derive(Debug, Clone)]
enum Event {
    /// The scheduler dispatches the due sync this many minutes after it became due.
    Dispatch { late_minutes: i64 },
    /// The run fails this many minutes after dispatch.
    Fail { after_minutes: i64, jitter: f64 },
    /// The run succeeds.
    Succeed,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (0_i64..600).prop_map(|late_minutes| Event::Dispatch { late_minutes }),
        ((0_i64..30), -0.1_f64..0.1).prop_map(|(after_minutes, jitter)| Event::Fail {
            after_minutes,
            jitter
        }),
        Just(Event::Succeed),
    ]
}

proptest! {
    #[test]
    fn failures_never_move_the_grid(hours in 1_i64..72, events in proptest::collection::vec(event(), 1..40)) {
        let interval = TimeDelta::hours(hours);
        let anchor = t0();
        let mut config: AutoSyncConfig = active_config("u1", hours, anchor);
        let mut now = anchor;
        for event in events {
            match event {
                Event::Dispatch { late_minutes } => {
                    let Some(due) = config.next_sync_at else { break };
                    now = now.max(due) + TimeDelta::minutes(late_minutes);
                    config = advance(&config, now);
                    let next = config.next_sync_at.expect("an active config stays scheduled");
                    prop_assert!(next > now);
                    prop_assert!(on_grid(next, anchor, interval), "{next} is off the grid");
                }
                Event::Fail { after_minutes, jitter } => {
                    now += TimeDelta::minutes(after_minutes);
                    config = on_failure(&config, now, &transient(), jitter);
                    if config.paused_reason.is_some() {
                        break;
                    }
                    let slot = config.grid_slot_at.or(config.next_sync_at).expect("scheduled");
                    prop_assert!(on_grid(slot, anchor, interval), "{slot} is off the grid");
                }
                Event::Succeed => config = on_success(&config, now),
            }
        }
    }
}
