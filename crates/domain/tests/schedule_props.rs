//! Property tests of the schedule: `advance` lands after now on the grid, due selection equals a
//! brute-force filter and sort, and a retry is never later than the grid's next slot.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::option;
use proptest::prelude::*;
use pulse_domain::schedule::{FIRST_RETRY_DELAY, MAX_CONSECUTIVE_FAILURES, MAX_JITTER};
use pulse_domain::{
    AutoSyncConfig, FailureKind, SyncFailure, advance, is_due, on_failure, select_due,
};
use support::strategies::{config, instant, paused_reason};
use support::t0;

/// A config whose next sync is a few minutes around `t0`, so due and not-due ones mix and tie.
fn config_near_t0() -> impl Strategy<Value = AutoSyncConfig> {
    (
        config(),
        option::of(-5_i64..5),
        any::<bool>(),
        option::of(paused_reason()),
    )
        .prop_map(|(mut config, minutes, enabled, paused_reason)| {
            config.next_sync_at = minutes.map(|m| t0() + TimeDelta::minutes(m));
            config.enabled = enabled;
            config.paused_reason = paused_reason;
            config
        })
}

fn brute_force_due(configs: &[AutoSyncConfig], now: DateTime<Utc>) -> Vec<&AutoSyncConfig> {
    let mut due = Vec::new();
    for config in configs {
        let active = config.enabled && config.paused_reason.is_none();
        if let (true, Some(next)) = (active, config.next_sync_at)
            && next <= now
        {
            due.push(config);
        }
    }
    due.sort_by_key(|c| (c.next_sync_at, c.user_id.clone()));
    due
}

fn transient() -> SyncFailure {
    SyncFailure {
        kind: FailureKind::Transient,
        message: "timeout".to_owned(),
    }
}

proptest! {
    #[test]
    fn advance_lands_after_now_on_the_first_later_slot_of_the_grid(
        mut config in config(),
        next in instant(),
        lateness_ms in -100_000_000_i64..100_000_000_000,
    ) {
        config.next_sync_at = Some(next);
        let now = next + TimeDelta::milliseconds(lateness_ms);
        let interval_ms = config.interval_hours.duration().num_milliseconds();

        let advanced = advance(&config, now).next_sync_at.expect("advance schedules");

        prop_assert!(advanced > now);
        let moved_ms = (advanced - next).num_milliseconds();
        prop_assert!(moved_ms > 0);
        prop_assert_eq!(moved_ms % interval_ms, 0, "off the grid by {} ms", moved_ms % interval_ms);
        let steps = moved_ms / interval_ms;
        prop_assert!(steps == 1 || advanced - config.interval_hours.duration() <= now,
            "skipped a slot after now: {} steps", steps);
    }

    #[test]
    fn due_selection_equals_a_brute_force_filter_and_sort(
        configs in prop::collection::vec(config_near_t0(), 0..30),
        now_offset_s in -400_i64..400,
    ) {
        let now = t0() + TimeDelta::seconds(now_offset_s);
        let selected = select_due(&configs, now);
        prop_assert_eq!(&selected, &brute_force_due(&configs, now));
        for config in &configs {
            prop_assert_eq!(selected.contains(&config), is_due(config, now));
        }
    }

    #[test]
    fn a_retry_is_never_later_than_the_grids_next_slot(
        mut config in config(),
        now in instant(),
        grid_offset_ms in -3_600_000_i64..2_592_000_000,
        failures in 0_u32..12,
        jitter in -1.0_f64..1.0,
    ) {
        config.enabled = true;
        config.paused_reason = None;
        config.consecutive_failures = failures;
        let grid = now + TimeDelta::milliseconds(grid_offset_ms);
        config.next_sync_at = Some(grid);

        let failed = on_failure(&config, now, &transient(), jitter);

        let k = failures + 1;
        prop_assert_eq!(failed.consecutive_failures, k);
        if k >= MAX_CONSECUTIVE_FAILURES {
            prop_assert!(failed.paused_reason.is_some());
            prop_assert_eq!(failed.next_sync_at, None);
        } else {
            let retry = failed.next_sync_at.expect("a retry is scheduled");
            prop_assert!(retry <= grid);
            let base = (FIRST_RETRY_DELAY * (1 << (k - 1))).min(config.interval_hours.duration());
            let base_ms = base.num_milliseconds() as f64;
            let slack = TimeDelta::milliseconds(1);
            let longest = now + TimeDelta::milliseconds((base_ms * (1.0 + MAX_JITTER)) as i64) + slack;
            let shortest = now + TimeDelta::milliseconds((base_ms * (1.0 - MAX_JITTER)) as i64) - slack;
            prop_assert!(retry <= longest);
            prop_assert!(retry >= shortest.min(grid));
            if grid > now {
                prop_assert!(retry > now);
            }
        }
    }
}
