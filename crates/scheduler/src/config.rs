//! `SchedulerConfig`: the scheduler's timings and sizes, with the production defaults.

use std::time::Duration;

use chrono::TimeDelta;

use crate::error::ConfigError;

/// How often and how much the scheduler scans, claims, heartbeats and rescues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// The longest the due scanner sleeps between scans.
    pub tick: Duration,
    /// The wait before the first scan after start.
    pub startup_delay: Duration,
    /// How many due configs one `enqueue_due` call claims.
    pub scan_batch: i64,
    /// Syncs this process runs at once.
    pub workers: usize,
    /// How long a claim (or a heartbeat) keeps a job leased to this worker.
    pub lease: Duration,
    /// How often a running job's lease is extended; `None` means a third of the lease.
    pub heartbeat_every: Option<Duration>,
    /// How often the worker pool looks for queued jobs when no notification woke it.
    pub poll_interval: Duration,
    /// How often the rescuer requeues jobs whose lease expired.
    pub rescue_interval: Duration,
    /// Attempts a job gets before the rescuer fails it for good.
    pub max_attempts: i32,
    /// How long running syncs may take to finish after shutdown was asked for.
    pub shutdown_grace: Duration,
    /// The first wait after a database error; it doubles up to `max_error_backoff`.
    pub error_backoff: Duration,
    /// The longest wait after repeated database errors.
    pub max_error_backoff: Duration,
    /// The start of this process's worker id (the rest names the host process).
    pub worker_id_prefix: String,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(30),
            startup_delay: Duration::from_secs(10),
            scan_batch: 500,
            workers: 4,
            lease: Duration::from_secs(120),
            heartbeat_every: None,
            poll_interval: Duration::from_secs(1),
            rescue_interval: Duration::from_secs(5),
            max_attempts: 3,
            shutdown_grace: Duration::from_secs(30),
            error_backoff: Duration::from_millis(500),
            max_error_backoff: Duration::from_secs(15),
            worker_id_prefix: "pulse-scheduler".to_owned(),
        }
    }
}

impl SchedulerConfig {
    /// Checks that every size and duration can work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("tick", self.tick),
            ("lease", self.lease),
            ("poll_interval", self.poll_interval),
            ("rescue_interval", self.rescue_interval),
            ("error_backoff", self.error_backoff),
            ("max_error_backoff", self.max_error_backoff),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, value)| value.is_zero()) {
            return Err(ConfigError::ZeroDuration(name));
        }
        if self.scan_batch < 1 {
            return Err(ConfigError::ScanBatch(self.scan_batch));
        }
        if self.workers == 0 {
            return Err(ConfigError::NoWorkers);
        }
        if self.max_attempts < 1 {
            return Err(ConfigError::MaxAttempts(self.max_attempts));
        }
        let heartbeat = self.heartbeat_interval();
        if heartbeat.is_zero() || heartbeat >= self.lease {
            return Err(ConfigError::Heartbeat {
                heartbeat,
                lease: self.lease,
            });
        }
        if TimeDelta::from_std(self.lease).is_err() {
            return Err(ConfigError::LeaseTooLong(self.lease));
        }
        Ok(())
    }

    /// How often a running job's lease is extended: the configured value or a third of the lease.
    pub fn heartbeat_interval(&self) -> Duration {
        self.heartbeat_every.unwrap_or(self.lease / 3)
    }

    /// The lease as the ports take it.
    pub fn lease_delta(&self) -> TimeDelta {
        TimeDelta::from_std(self.lease).unwrap_or(TimeDelta::MAX)
    }
}
