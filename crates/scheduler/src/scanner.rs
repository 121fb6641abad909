//! The due scanner: enqueues an `auto` job for every due user, batch after batch, then sleeps until
//! the next tick or the earliest known `next_sync_at`, whichever comes first.

use std::time::{Duration, Instant};

use pulse_domain::ports::{Clock, JobQueue, StoreError};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::backoff::{ErrorBackoff, sleep_or_cancelled};
use crate::config::SchedulerConfig;
use crate::metrics::record_due_users;
use crate::wake::wake_workers;

/// What one due scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Due users enqueued (one `auto` job each).
    pub enqueued: usize,
    /// `enqueue_due` calls made.
    pub batches: usize,
    /// How long the scan took.
    pub duration: Duration,
}

/// Enqueues every user due now, `batch` at a time, until a batch comes back short: one due scan.
pub async fn scan_due<Q: JobQueue>(
    queue: &Q,
    clock: &dyn Clock,
    batch: i64,
) -> Result<ScanReport, StoreError> {
    scan_due_until(queue, clock, batch, &CancellationToken::new()).await
}

/// [`scan_due`], stopping between batches once `shutdown` is cancelled.
async fn scan_due_until<Q: JobQueue>(
    queue: &Q,
    clock: &dyn Clock,
    batch: i64,
    shutdown: &CancellationToken,
) -> Result<ScanReport, StoreError> {
    let started = Instant::now();
    let now = clock.now();
    let mut report = ScanReport::default();
    loop {
        let jobs = queue.enqueue_due(now, batch).await?;
        report.batches += 1;
        report.enqueued += jobs.len();
        for job in &jobs {
            tracing::debug!(user = %job.user_id, job = %job.id, "[scheduler] enqueued auto sync");
        }
        let short = i64::try_from(jobs.len()).map_or(true, |count| count < batch);
        if short || shutdown.is_cancelled() {
            break;
        }
    }
    report.duration = started.elapsed();
    let duration_ms = u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX);
    tracing::info!(
        due = report.enqueued,
        batches = report.batches,
        duration_ms,
        "[scheduler] due scan"
    );
    record_due_users(report.enqueued);
    Ok(report)
}

/// Scans after the startup delay, then again every tick or at the earliest `next_sync_at`.
pub(crate) async fn run_scanner<Q: JobQueue>(
    queue: &Q,
    clock: &dyn Clock,
    config: &SchedulerConfig,
    wakeup: &Notify,
    shutdown: &CancellationToken,
) {
    if sleep_or_cancelled(config.startup_delay, shutdown).await {
        return;
    }
    let mut backoff = ErrorBackoff::new(config.error_backoff, config.max_error_backoff);
    loop {
        let wait = match scan_due_until(queue, clock, config.scan_batch, shutdown).await {
            Ok(report) => {
                backoff.reset();
                if report.enqueued > 0 {
                    wake_workers(wakeup);
                }
                next_scan_in(queue, clock, config.tick).await
            }
            Err(error) => {
                let wait = backoff.next_delay();
                tracing::error!(%error, retry_in_ms = millis(wait), "[scheduler] due scan failed");
                wait
            }
        };
        if sleep_or_cancelled(wait, shutdown).await {
            return;
        }
    }
}

/// The sleep before the next scan: the tick, or less when a config falls due sooner.
///
/// A `next_sync_at` already past after a scan belongs to a user whose job is still active (the
/// scan skips those): waiting for it would spin, so the tick applies.
async fn next_scan_in<Q: JobQueue>(queue: &Q, clock: &dyn Clock, tick: Duration) -> Duration {
    match queue.earliest_due_at().await {
        Ok(Some(earliest)) => {
            let until = (earliest - clock.now()).to_std().unwrap_or(Duration::ZERO);
            if until.is_zero() {
                tick
            } else {
                until.min(tick)
            }
        }
        Ok(None) => tick,
        Err(error) => {
            tracing::warn!(%error, "[scheduler] could not read the earliest due time");
            tick
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
