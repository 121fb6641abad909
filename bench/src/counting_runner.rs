//! `CountingRunner`: wraps the scheduler's sync runner to count finished runs (and the time spent
//! in them) and tell when a number of them have finished, so a benchmark knows when the queue is
//! worked off without polling the database.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pulse_domain::JobLease;
use pulse_domain::sync::{SyncError, SyncOutcome, SyncProgress};
use pulse_scheduler::SyncRunner;
use tokio::sync::Notify;

/// A runner that counts the runs of the runner it wraps.
#[derive(Debug)]
pub struct CountingRunner<R> {
    inner: R,
    target: usize,
    finished: AtomicUsize,
    completed: AtomicUsize,
    running_nanos: AtomicU64,
    reached: Notify,
}

impl<R> CountingRunner<R> {
    /// Wraps `inner`; [`CountingRunner::wait`] returns once `target` runs finished.
    pub fn new(inner: R, target: usize) -> Self {
        Self {
            inner,
            target,
            finished: AtomicUsize::new(0),
            completed: AtomicUsize::new(0),
            running_nanos: AtomicU64::new(0),
            reached: Notify::new(),
        }
    }

    /// Waits until `target` runs have finished.
    pub async fn wait(&self) {
        if self.finished.load(Ordering::Acquire) >= self.target {
            return;
        }
        self.reached.notified().await;
    }

    /// Runs that ended with a completed job.
    pub fn completed(&self) -> usize {
        self.completed.load(Ordering::Acquire)
    }

    /// The time spent inside the wrapped runner, all runs added up.
    pub fn time_in_runs(&self) -> Duration {
        Duration::from_nanos(self.running_nanos.load(Ordering::Acquire))
    }
}

impl<R: SyncRunner> SyncRunner for CountingRunner<R> {
    async fn run_sync<P: SyncProgress>(
        &self,
        lease: &JobLease,
        progress: &P,
    ) -> Result<SyncOutcome, SyncError> {
        let started = Instant::now();
        let result = self.inner.run_sync(lease, progress).await;
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.running_nanos.fetch_add(nanos, Ordering::AcqRel);
        if matches!(result, Ok(SyncOutcome::Completed(_))) {
            self.completed.fetch_add(1, Ordering::AcqRel);
        }
        if self.finished.fetch_add(1, Ordering::AcqRel) + 1 == self.target {
            self.reached.notify_one();
        }
        result
    }
}
