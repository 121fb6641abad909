//! The worker pool: claims queued jobs (oldest first) into its free slots and runs each in its own
//! task; wakes on a notification, on a finished task, or every poll interval (the fallback that
//! always runs). Beside it one heartbeat keeps the leases of all its running jobs alive. On
//! shutdown it stops claiming, lets running syncs finish within the grace period, then stops the
//! rest, which hand their jobs back to the queue.

use std::sync::Arc;
use std::time::Instant;

use pulse_domain::JobLease;
use pulse_domain::ports::{Clock, JobQueue, StoreError};
use tokio::sync::Notify;
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::backoff::ErrorBackoff;
use crate::config::SchedulerConfig;
use crate::heartbeat::HeldLeases;
use crate::job_task::{JobEnd, LeaseTiming, run_leased};
use crate::runner::SyncRunner;

/// What the pool shares with its job tasks.
pub(crate) struct Pool<Q, R> {
    pub(crate) queue: Arc<Q>,
    pub(crate) runner: Arc<R>,
    pub(crate) config: SchedulerConfig,
    pub(crate) worker_id: String,
    pub(crate) wakeup: Arc<Notify>,
    pub(crate) held: Arc<HeldLeases>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl<Q, R> Pool<Q, R>
where
    Q: JobQueue + 'static,
    R: SyncRunner,
{
    /// Claims and runs jobs until `shutdown`, then drains the running ones; the heartbeat runs
    /// until the last of them ended.
    pub(crate) async fn run(&self, shutdown: &CancellationToken) {
        let beating = CancellationToken::new();
        let work = async {
            self.work(shutdown).await;
            beating.cancel();
        };
        let heartbeat = self
            .held
            .keep_alive(&*self.queue, &*self.clock, self.timing(), &beating);
        tokio::join!(work, heartbeat);
    }

    async fn work(&self, shutdown: &CancellationToken) {
        let mut tasks: JoinSet<(JobLease, JobEnd)> = JoinSet::new();
        let stop_runs = CancellationToken::new();
        let mut backoff =
            ErrorBackoff::new(self.config.error_backoff, self.config.max_error_backoff);
        while !shutdown.is_cancelled() {
            let notified = self.wakeup.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // Every task that ended while the last claim was in flight frees its slot now, so
            // one claim fills them all instead of one claim per ended task.
            while let Some(joined) = tasks.try_join_next() {
                log_joined(joined);
            }
            let free = self.config.workers.saturating_sub(tasks.len());
            let mut wait = self.config.poll_interval;
            if free > 0 {
                match self.claim(free, &mut tasks, &stop_runs).await {
                    Ok(()) => backoff.reset(),
                    Err(error) => {
                        wait = backoff.next_delay();
                        let retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
                        tracing::error!(%error, worker = %self.worker_id, retry_in_ms, "[scheduler] claiming jobs failed");
                    }
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = &mut notified => {}
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => log_joined(joined),
                () = tokio::time::sleep(wait) => {}
            }
        }
        self.drain(tasks, stop_runs).await;
    }

    /// Claims up to `free` jobs and spawns a task for each.
    async fn claim(
        &self,
        free: usize,
        tasks: &mut JoinSet<(JobLease, JobEnd)>,
        stop_runs: &CancellationToken,
    ) -> Result<(), StoreError> {
        let limit = i64::try_from(free).unwrap_or(i64::MAX);
        let claimed_at = Instant::now();
        let leases = self
            .queue
            .claim_jobs(
                &self.worker_id,
                limit,
                self.config.lease_delta(),
                self.clock.now(),
            )
            .await?;
        if !leases.is_empty() {
            tracing::debug!(claimed = leases.len(), free, worker = %self.worker_id, "[scheduler] claimed jobs");
        }
        for lease in leases {
            tracing::info!(user = %lease.user_id, job = %lease.job_id, attempt = lease.attempt, trigger = lease.trigger.as_str(), worker = %lease.worker_id, "[scheduler] job claimed");
            let queue = Arc::clone(&self.queue);
            let runner = Arc::clone(&self.runner);
            let held = Arc::clone(&self.held);
            let lost = held.hold(&lease, claimed_at + self.config.lease);
            let stop = stop_runs.clone();
            tasks.spawn(async move {
                let end = run_leased(&*queue, &*runner, &lease, &lost, &stop, &()).await;
                held.forget(lease.job_id);
                (lease, end)
            });
        }
        Ok(())
    }

    /// Lets running syncs finish within the grace period, then stops the rest and waits for them
    /// to hand their jobs back.
    async fn drain(&self, mut tasks: JoinSet<(JobLease, JobEnd)>, stop_runs: CancellationToken) {
        if tasks.is_empty() {
            return;
        }
        let grace_ms = u64::try_from(self.config.shutdown_grace.as_millis()).unwrap_or(u64::MAX);
        tracing::info!(running = tasks.len(), grace_ms, worker = %self.worker_id, "[scheduler] shutting down; waiting for running syncs");
        let deadline = tokio::time::sleep(self.config.shutdown_grace);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                joined = tasks.join_next() => match joined {
                    Some(joined) => log_joined(joined),
                    None => return,
                },
                () = &mut deadline => break,
            }
        }
        tracing::warn!(running = tasks.len(), worker = %self.worker_id, "[scheduler] grace period over; stopping the syncs still running and releasing their jobs");
        stop_runs.cancel();
        while let Some(joined) = tasks.join_next().await {
            log_joined(joined);
        }
    }

    fn timing(&self) -> LeaseTiming {
        LeaseTiming {
            lease: self.config.lease_delta(),
            lease_std: self.config.lease,
            heartbeat: self.config.heartbeat_interval(),
        }
    }
}

/// A task that ended has logged its own end; one that panicked is logged here, and its job is
/// requeued by the rescuer once the lease expires.
fn log_joined(joined: Result<(JobLease, JobEnd), JoinError>) {
    if let Err(error) = joined {
        tracing::error!(%error, "[scheduler] a sync task ended abnormally; its job will be rescued after the lease");
    }
}
