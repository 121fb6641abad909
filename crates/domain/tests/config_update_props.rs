//! Property tests of `apply_update`: turning on never schedules before now, and applying the same
//! update twice equals applying it once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::TimeDelta;
use proptest::option;
use proptest::prelude::*;
use pulse_domain::{AutoSyncConfig, ConfigUpdate, apply_update, is_due};
use support::strategies::{config, inactive_config, instant, interval, update, user_id};

proptest! {
    #[test]
    fn turning_on_never_schedules_before_now(
        current in option::of(inactive_config()),
        user in user_id(),
        interval_hours in option::of(interval()),
        now in instant(),
    ) {
        let user_id = current.as_ref().map_or(user, |c| c.user_id.clone());
        let request = ConfigUpdate { user_id, enabled: true, interval_hours };

        let config = apply_update(current.as_ref(), &request, now);

        let next = config.next_sync_at.expect("turning on schedules a sync");
        prop_assert!(next > now);
        prop_assert_eq!(next, now + config.interval_hours.duration());
        prop_assert!(config.is_active());
        prop_assert!(!is_due(&config, now));
        prop_assert_eq!(config.updated_at, Some(now));
    }

    #[test]
    fn applying_an_update_twice_equals_applying_it_once(
        current in option::of(config()),
        request in update(),
        now in instant(),
        later_ms in 0_i64..100_000_000_000,
    ) {
        let once = apply_update(current.as_ref(), &request, now);
        let twice_at_once = apply_update(Some(&once), &request, now);
        let twice_later =
            apply_update(Some(&once), &request, now + TimeDelta::milliseconds(later_ms));
        prop_assert_eq!(&twice_at_once, &once);
        prop_assert_eq!(&twice_later, &once);
    }

    #[test]
    fn updated_at_moves_exactly_when_a_stored_config_changes(
        current in config(),
        request in update(),
        now in instant(),
    ) {
        let next = apply_update(Some(&current), &request, now);
        let settings_changed = AutoSyncConfig { updated_at: current.updated_at, ..next.clone() } != current;
        if settings_changed {
            prop_assert_eq!(next.updated_at, Some(now));
        } else {
            prop_assert_eq!(&next, &current);
        }
    }

    #[test]
    fn turning_off_never_leaves_a_schedule_and_keeps_the_last_sync(
        current in option::of(config()),
        request in update(),
        now in instant(),
    ) {
        let request = ConfigUpdate { enabled: false, ..request };
        let config = apply_update(current.as_ref(), &request, now);
        prop_assert!(!config.enabled);
        prop_assert_eq!(config.next_sync_at, None);
        prop_assert_eq!(config.last_sync_at, current.and_then(|c| c.last_sync_at));
    }
}
