//! The backoff between attempts of one job after a transient failure.

use chrono::TimeDelta;

/// The delay before the first retry of a job.
pub const FIRST_JOB_RETRY: TimeDelta = TimeDelta::seconds(30);

/// The longest delay between two attempts of a job.
pub const MAX_JOB_RETRY: TimeDelta = TimeDelta::minutes(10);

/// The delay before the attempt after `attempt`: `min(30 s * 2^(attempt-1), 10 min) * (1 + jitter)`.
pub fn job_retry_delay(attempt: i32, jitter: f64) -> TimeDelta {
    let exponent = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    let base = (FIRST_JOB_RETRY * (1_i32 << exponent)).min(MAX_JOB_RETRY);
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(-0.1, 0.1)
    };
    TimeDelta::milliseconds((base.num_milliseconds() as f64 * (1.0 + jitter)).round() as i64)
}
