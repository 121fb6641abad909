//! `humanize_until`: "in 3 hours", "now", "overdue by 2 hours", as the settings card shows it.

use chrono::{DateTime, Utc};

/// Describes how far `next` is from `now` in the largest fitting unit, rounded to the nearest.
///
/// Within a minute either way is "now"; under an hour counts minutes; under two days counts hours
/// (so a fresh 24-hour schedule reads "in 24 hours"); beyond that counts days.
pub fn humanize_until(next: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (next - now).num_seconds();
    if seconds.abs() < 60 {
        return "now".to_owned();
    }
    let span = describe_span(seconds.unsigned_abs());
    if seconds > 0 {
        format!("in {span}")
    } else {
        format!("overdue by {span}")
    }
}

fn describe_span(seconds: u64) -> String {
    let minutes = (seconds + 30) / 60;
    if minutes < 60 {
        return plural(minutes, "minute");
    }
    let hours = (seconds + 1800) / 3600;
    if hours < 48 {
        return plural(hours, "hour");
    }
    let days = (seconds + 43_200) / 86_400;
    plural(days, "day")
}

fn plural(count: u64, unit: &str) -> String {
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}
