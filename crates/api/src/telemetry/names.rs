//! The metric names of pulse-sync. The API records the HTTP ones; the scheduler and sync engine
//! record the others under these same names (listed in docs/api.md).

/// Counter of HTTP requests, labels `route` (the route pattern, or `unmatched`), `method`, `status`.
pub const HTTP_REQUESTS_TOTAL: &str = "pulse_http_requests_total";
/// Histogram of HTTP request durations in seconds, labels `route`, `method`.
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "pulse_http_request_duration_seconds";
/// Counter of finished sync jobs, labels `trigger` (`auto`, `manual`) and `outcome`.
pub const SYNC_JOBS_TOTAL: &str = "pulse_sync_jobs_total";
/// Counter of contacts processed by sync runs.
pub const CONTACTS_PROCESSED_TOTAL: &str = "pulse_contacts_processed_total";
/// Histogram of sync run durations in seconds.
pub const SYNC_DURATION_SECONDS: &str = "pulse_sync_duration_seconds";
/// Gauge of users found due by the scheduler's last scan.
pub const DUE_USERS: &str = "pulse_due_users";
/// Counter of requests to Google, label `status` (the HTTP status, or `error`).
pub const GOOGLE_REQUESTS_TOTAL: &str = "pulse_google_requests_total";

/// Buckets of the HTTP duration histogram, in seconds.
pub(crate) const HTTP_BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
/// Buckets of the sync duration histogram, in seconds.
pub(crate) const SYNC_BUCKETS: [f64; 10] =
    [0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0];
