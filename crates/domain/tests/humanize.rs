//! `humanize_until`: the settings card's "in 3 hours", "now" and "overdue by 2 hours".

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::TimeDelta;
use pulse_domain::{apply_update, humanize_until};
use support::{t0, update};

fn from_now(offset: TimeDelta) -> String {
    humanize_until(t0() + offset, t0())
}

#[test]
fn the_seeds_examples_read_as_the_ui_shows_them() {
    assert_eq!(from_now(TimeDelta::minutes(5)), "in 5 minutes");
    assert_eq!(from_now(TimeDelta::hours(3)), "in 3 hours");
    assert_eq!(from_now(TimeDelta::days(2)), "in 2 days");
    assert_eq!(from_now(TimeDelta::hours(-2)), "overdue by 2 hours");
}

#[test]
fn within_a_minute_either_way_is_now() {
    for seconds in [0, 1, 30, 59, -1, -30, -59] {
        assert_eq!(from_now(TimeDelta::seconds(seconds)), "now", "{seconds}s");
    }
    assert_eq!(from_now(TimeDelta::milliseconds(59_999)), "now");
}

#[test]
fn a_full_minute_is_no_longer_now() {
    assert_eq!(from_now(TimeDelta::minutes(1)), "in 1 minute");
    assert_eq!(from_now(TimeDelta::minutes(-1)), "overdue by 1 minute");
}

#[test]
fn one_of_a_unit_is_singular() {
    assert_eq!(from_now(TimeDelta::hours(1)), "in 1 hour");
    assert_eq!(from_now(TimeDelta::hours(-1)), "overdue by 1 hour");
}

#[test]
fn minutes_are_rounded_to_the_nearest() {
    assert_eq!(from_now(TimeDelta::seconds(5 * 60 + 29)), "in 5 minutes");
    assert_eq!(from_now(TimeDelta::seconds(5 * 60 + 31)), "in 6 minutes");
    assert_eq!(from_now(TimeDelta::minutes(59)), "in 59 minutes");
}

#[test]
fn hours_start_at_an_hour_and_are_rounded() {
    assert_eq!(from_now(TimeDelta::seconds(59 * 60 + 45)), "in 1 hour");
    assert_eq!(from_now(TimeDelta::minutes(3 * 60 + 20)), "in 3 hours");
    assert_eq!(from_now(TimeDelta::minutes(3 * 60 + 40)), "in 4 hours");
    assert_eq!(from_now(TimeDelta::hours(47)), "in 47 hours");
}

#[test]
fn a_fresh_24_hour_schedule_reads_in_24_hours() {
    assert_eq!(from_now(TimeDelta::hours(24)), "in 24 hours");
    let config = apply_update(None, &update("u1", true, Some(24)), t0());
    let next = config.next_sync_at.unwrap();
    assert_eq!(humanize_until(next, t0()), "in 24 hours");
    assert_eq!(
        humanize_until(next, t0() + TimeDelta::seconds(20)),
        "in 24 hours"
    );
}

#[test]
fn two_days_and_more_count_days() {
    assert_eq!(from_now(TimeDelta::hours(48)), "in 2 days");
    assert_eq!(from_now(TimeDelta::days(7)), "in 7 days");
    assert_eq!(from_now(TimeDelta::days(30)), "in 30 days");
    assert_eq!(from_now(TimeDelta::days(-3)), "overdue by 3 days");
}

#[test]
fn the_past_reads_overdue_in_every_unit() {
    assert_eq!(from_now(TimeDelta::minutes(-5)), "overdue by 5 minutes");
    assert_eq!(from_now(TimeDelta::hours(-2)), "overdue by 2 hours");
    assert_eq!(from_now(TimeDelta::days(-2)), "overdue by 2 days");
}
