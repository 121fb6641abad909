//! One claimed job on one worker: the sync run, stopped when the process's heartbeat finds its
//! lease lost, and handed back to the queue when shutdown stops it.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use pulse_domain::JobLease;
use pulse_domain::ports::{JobQueue, StoreError};
use pulse_domain::sync::{SyncError, SyncOutcome, SyncProgress};
use tokio_util::sync::CancellationToken;

use crate::metrics::record_attempt;
use crate::runner::SyncRunner;

/// Attempts at handing a stopped job back before leaving it to the rescuer.
const RELEASE_ATTEMPTS: u32 = 3;

/// The wait between two attempts at handing a stopped job back.
const RELEASE_RETRY_DELAY: Duration = Duration::from_millis(200);

/// How one claimed job ended for the worker that held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    /// The run ended and recorded its end (completed, retrying, failed, or fenced out).
    Finished(SyncOutcome),
    /// The run could not record its end; the rescuer requeues the job once its lease expires.
    Unrecorded(SyncError),
    /// The heartbeat found the lease lost (or expired unrenewed); the run was stopped.
    LeaseLost,
    /// Shutdown stopped the run and handed the job back to the queue.
    Released,
    /// Shutdown stopped the run but the job could not be handed back; the rescuer will.
    ReleaseFailed(StoreError),
}

impl JobEnd {
    /// The `outcome` label of the metrics and logs.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Finished(SyncOutcome::Completed(_)) => "completed",
            Self::Finished(SyncOutcome::Retrying { .. }) => "retrying",
            Self::Finished(SyncOutcome::Failed(_)) => "failed",
            Self::Finished(SyncOutcome::LeaseLost) | Self::LeaseLost => "lease_lost",
            Self::Unrecorded(_) => "unrecorded",
            Self::Released => "released",
            Self::ReleaseFailed(_) => "release_failed",
        }
    }

    /// The contacts the run processed, when it completed.
    fn contacts(&self) -> i64 {
        match self {
            Self::Finished(SyncOutcome::Completed(counts)) => counts.total_contacts,
            _ => 0,
        }
    }
}

/// How long leases last and how often they are extended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeaseTiming {
    /// The lease a claim or heartbeat grants.
    pub(crate) lease: TimeDelta,
    /// The same lease as a monotonic duration.
    pub(crate) lease_std: Duration,
    /// The wait between two heartbeats.
    pub(crate) heartbeat: Duration,
}

/// Runs the claimed attempt to its end, records the metrics and logs the outcome.
///
/// When `lost` is cancelled (the heartbeat found the lease lost) the run is dropped; when `stop`
/// is cancelled the run is dropped and the job released back to the queue. Its span carries the
/// attempt's ids, so every log line of the run (the engine's too) names them.
#[tracing::instrument(
    name = "job",
    skip_all,
    fields(
        user = %lease.user_id,
        job = %lease.job_id,
        attempt = lease.attempt,
        worker = %lease.worker_id,
        trigger = lease.trigger.as_str(),
    )
)]
pub(crate) async fn run_leased<Q, R, P>(
    queue: &Q,
    runner: &R,
    lease: &JobLease,
    lost: &CancellationToken,
    stop: &CancellationToken,
    progress: &P,
) -> JobEnd
where
    Q: JobQueue,
    R: SyncRunner,
    P: SyncProgress,
{
    enum Stopped {
        Ran(Result<SyncOutcome, SyncError>),
        LeaseLost,
        Shutdown,
    }
    let started = Instant::now();
    let run = runner.run_sync(lease, progress);
    tokio::pin!(run);
    let stopped = tokio::select! {
        biased;
        result = &mut run => Stopped::Ran(result),
        () = lost.cancelled() => Stopped::LeaseLost,
        () = stop.cancelled() => Stopped::Shutdown,
    };
    // The run records its whole end in one transaction, so a heartbeat that finds the lease
    // gone means another attempt owns the job: nothing of this run remains to finish.
    let end = match stopped {
        Stopped::Ran(Ok(outcome)) => JobEnd::Finished(outcome),
        Stopped::Ran(Err(error)) => JobEnd::Unrecorded(error),
        Stopped::LeaseLost => JobEnd::LeaseLost,
        Stopped::Shutdown => release(queue, lease).await,
    };
    let duration = started.elapsed();
    record_attempt(lease.trigger, end.label(), duration, end.contacts());
    log_end(&end, duration);
    end
}

/// Hands a job stopped by shutdown back to the queue, retrying a few times on database errors.
pub(crate) async fn release<Q: JobQueue>(queue: &Q, lease: &JobLease) -> JobEnd {
    let mut last_error = None;
    for attempt in 1..=RELEASE_ATTEMPTS {
        match queue.release(lease).await {
            Ok(true) => return JobEnd::Released,
            Ok(false) => return JobEnd::LeaseLost,
            Err(error) => {
                tracing::warn!(%error, release_try = attempt, "[scheduler] could not release the job");
                last_error = Some(error);
                if attempt < RELEASE_ATTEMPTS {
                    tokio::time::sleep(RELEASE_RETRY_DELAY).await;
                }
            }
        }
    }
    match last_error {
        Some(error) => JobEnd::ReleaseFailed(error),
        None => JobEnd::LeaseLost,
    }
}

fn log_end(end: &JobEnd, duration: Duration) {
    let duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    let outcome = end.label();
    match end {
        JobEnd::Finished(SyncOutcome::Completed(counts)) => {
            tracing::info!(
                outcome,
                total = counts.total_contacts,
                duration_ms,
                "[scheduler] job finished"
            );
        }
        JobEnd::Finished(SyncOutcome::Retrying { retry_at, failure }) => {
            tracing::warn!(outcome, %retry_at, error = %failure.message, duration_ms, "[scheduler] job finished");
        }
        JobEnd::Finished(SyncOutcome::Failed(failure)) => {
            tracing::warn!(outcome, error = %failure.message, duration_ms, "[scheduler] job finished");
        }
        JobEnd::Unrecorded(error) => {
            tracing::error!(outcome, %error, duration_ms, "[scheduler] job end not recorded; the rescuer will requeue it after the lease");
        }
        JobEnd::ReleaseFailed(error) => {
            tracing::error!(outcome, %error, duration_ms, "[scheduler] job not handed back; the rescuer will requeue it after the lease");
        }
        JobEnd::Finished(SyncOutcome::LeaseLost) | JobEnd::LeaseLost | JobEnd::Released => {
            tracing::info!(outcome, duration_ms, "[scheduler] job finished");
        }
    }
}
