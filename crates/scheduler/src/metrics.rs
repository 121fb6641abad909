//! The scheduler's metrics, recorded through the `metrics` facade (the API renders them).

use std::time::Duration;

use pulse_domain::JobTrigger;

/// Counter of finished job attempts, by `trigger` and `outcome`.
pub const SYNC_JOBS_TOTAL: &str = "pulse_sync_jobs_total";
/// Counter of contacts processed by completed syncs.
pub const CONTACTS_PROCESSED_TOTAL: &str = "pulse_contacts_processed_total";
/// Histogram of sync attempt durations, in seconds.
pub const SYNC_DURATION_SECONDS: &str = "pulse_sync_duration_seconds";
/// Gauge of the users the last due scan found due (and enqueued).
pub const DUE_USERS: &str = "pulse_due_users";

/// Records one finished attempt: its outcome, duration and the contacts it processed.
pub(crate) fn record_attempt(
    trigger: JobTrigger,
    outcome: &'static str,
    duration: Duration,
    contacts: i64,
) {
    metrics::counter!(SYNC_JOBS_TOTAL, "trigger" => trigger.as_str(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!(SYNC_DURATION_SECONDS).record(duration.as_secs_f64());
    if let Ok(contacts) = u64::try_from(contacts) {
        metrics::counter!(CONTACTS_PROCESSED_TOTAL).increment(contacts);
    }
}

/// Records jobs the rescuer requeued or failed (their trigger is not known to the rescuer).
pub(crate) fn record_rescued(outcome: &'static str, jobs: usize) {
    let jobs = u64::try_from(jobs).unwrap_or(u64::MAX);
    if jobs > 0 {
        metrics::counter!(SYNC_JOBS_TOTAL, "trigger" => "unknown", "outcome" => outcome)
            .increment(jobs);
    }
}

/// Records how many users the last scan enqueued.
pub(crate) fn record_due_users(count: usize) {
    metrics::gauge!(DUE_USERS).set(count as f64);
}
