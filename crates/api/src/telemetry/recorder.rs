//! `install_metrics_recorder`: installs the Prometheus recorder once per process and hands out its
//! handle on every call.

use std::sync::{Mutex, OnceLock, PoisonError};

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

use crate::telemetry::names::{
    CONTACTS_PROCESSED_TOTAL, DUE_USERS, GOOGLE_REQUESTS_TOTAL, HTTP_BUCKETS,
    HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS_TOTAL, SYNC_BUCKETS, SYNC_DURATION_SECONDS,
    SYNC_JOBS_TOTAL,
};

/// Installing the recorder failed (for example another recorder was installed first).
#[derive(Debug, thiserror::Error)]
#[error("cannot install the Prometheus metrics recorder: {0}")]
pub struct MetricsError(#[from] BuildError);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static INSTALLING: Mutex<()> = Mutex::new(());

/// Installs the process-wide Prometheus recorder on the first call; every call returns its handle.
pub fn install_metrics_recorder() -> Result<PrometheusHandle, MetricsError> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let _installing = INSTALLING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(HTTP_REQUEST_DURATION_SECONDS.to_owned()),
            &HTTP_BUCKETS,
        )?
        .set_buckets_for_metric(
            Matcher::Full(SYNC_DURATION_SECONDS.to_owned()),
            &SYNC_BUCKETS,
        )?
        .install_recorder()?;
    describe_metrics();
    Ok(HANDLE.get_or_init(|| handle).clone())
}

fn describe_metrics() {
    describe_counter!(
        HTTP_REQUESTS_TOTAL,
        "HTTP requests by route pattern, method and status"
    );
    describe_histogram!(
        HTTP_REQUEST_DURATION_SECONDS,
        Unit::Seconds,
        "HTTP request durations by route pattern and method"
    );
    describe_counter!(SYNC_JOBS_TOTAL, "Finished sync jobs by trigger and outcome");
    describe_counter!(CONTACTS_PROCESSED_TOTAL, "Contacts processed by sync runs");
    describe_histogram!(SYNC_DURATION_SECONDS, Unit::Seconds, "Sync run durations");
    describe_gauge!(DUE_USERS, "Users found due by the scheduler's last scan");
    describe_counter!(GOOGLE_REQUESTS_TOTAL, "Requests to Google by HTTP status");
}

#[cfg(test)]
mod tests {
    use metrics::counter;

    use super::*;

    #[test]
    fn installing_twice_hands_out_the_same_recorder() {
        let first = install_metrics_recorder().expect("installed");
        let second = install_metrics_recorder().expect("installed again");
        counter!(SYNC_JOBS_TOTAL, "trigger" => "manual", "outcome" => "completed").increment(2);
        let line = "pulse_sync_jobs_total{trigger=\"manual\",outcome=\"completed\"} 2";
        assert!(first.render().contains(line), "{}", first.render());
        assert!(second.render().contains(line), "{}", second.render());
        assert!(second.render().contains("# HELP pulse_sync_jobs_total"));
    }
}
