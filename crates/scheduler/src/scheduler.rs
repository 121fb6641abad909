//! `Scheduler`: the due scanner, the worker pool and the rescuer of one process, run together
//! until shutdown.

use std::sync::Arc;

use pulse_domain::ports::{Clock, JobQueue, StoreError, SystemClock};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::SchedulerConfig;
use crate::error::ConfigError;
use crate::pool::Pool;
use crate::rescuer::run_rescuer;
use crate::runner::SyncRunner;
use crate::scanner::{ScanReport, run_scanner, scan_due};
use crate::worker_id::worker_id;

/// One process's scheduler: any number of them may share one database.
pub struct Scheduler<Q, R> {
    pool: Pool<Q, R>,
}

impl<Q, R> Scheduler<Q, R>
where
    Q: JobQueue + 'static,
    R: SyncRunner,
{
    /// A scheduler over a queue and a sync runner, on the wall clock; `wakeup` is notified when
    /// jobs are queued (by a database listener, and by this scheduler's own scans and rescues).
    pub fn new(
        queue: Arc<Q>,
        runner: Arc<R>,
        config: SchedulerConfig,
        wakeup: Arc<Notify>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let worker_id = worker_id(&config.worker_id_prefix);
        Ok(Self {
            pool: Pool {
                queue,
                runner,
                config,
                worker_id,
                wakeup,
                held: Arc::default(),
                clock: Arc::new(SystemClock),
            },
        })
    }

    /// The same scheduler reading time from `clock` (for claims, leases, scans and rescues).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.pool.clock = clock;
        self
    }

    /// The id this scheduler's claims carry.
    pub fn worker_id(&self) -> &str {
        &self.pool.worker_id
    }

    /// The settings it runs with.
    pub fn config(&self) -> &SchedulerConfig {
        &self.pool.config
    }

    /// Runs one due scan now (what the scanner does each tick).
    pub async fn scan_once(&self) -> Result<ScanReport, StoreError> {
        scan_due(
            &*self.pool.queue,
            &*self.pool.clock,
            self.pool.config.scan_batch,
        )
        .await
    }

    /// Runs the scanner, the worker pool and the rescuer until `shutdown` is cancelled; then stops
    /// scanning and claiming, drains the running syncs and returns.
    pub async fn run(&self, shutdown: CancellationToken) {
        let config = &self.pool.config;
        tracing::info!(
            worker = %self.pool.worker_id,
            workers = config.workers,
            tick_ms = millis(config.tick),
            startup_delay_ms = millis(config.startup_delay),
            lease_ms = millis(config.lease),
            poll_ms = millis(config.poll_interval),
            "[scheduler] started"
        );
        let queue = &*self.pool.queue;
        let wakeup = &*self.pool.wakeup;
        let clock = &*self.pool.clock;
        tokio::join!(
            run_scanner(queue, clock, config, wakeup, &shutdown),
            self.pool.run(&shutdown),
            run_rescuer(queue, clock, config, wakeup, &shutdown),
        );
        tracing::info!(worker = %self.pool.worker_id, "[scheduler] stopped");
    }
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
