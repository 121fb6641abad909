//! The rescuer: requeues jobs whose lease expired (their worker died or lost the database), or
//! fails them after the last attempt. Any replica may run it; it is one guarded `UPDATE`.

use pulse_domain::ports::{Clock, JobQueue};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::backoff::{ErrorBackoff, sleep_or_cancelled};
use crate::config::SchedulerConfig;
use crate::metrics::record_rescued;
use crate::wake::wake_workers;

/// Rescues expired leases at once and then every rescue interval until shutdown.
pub(crate) async fn run_rescuer<Q: JobQueue>(
    queue: &Q,
    clock: &dyn Clock,
    config: &SchedulerConfig,
    wakeup: &Notify,
    shutdown: &CancellationToken,
) {
    let mut backoff = ErrorBackoff::new(config.error_backoff, config.max_error_backoff);
    loop {
        let wait = match queue.rescue_expired(clock.now(), config.max_attempts).await {
            Ok(report) => {
                backoff.reset();
                for job in &report.requeued {
                    tracing::warn!(job = %job, "[scheduler] rescued a job whose lease expired; queued again");
                }
                for job in &report.failed {
                    tracing::warn!(job = %job, max_attempts = config.max_attempts, "[scheduler] a job's lease expired on its last attempt; failed");
                }
                if !report.requeued.is_empty() || !report.failed.is_empty() {
                    tracing::info!(
                        requeued = report.requeued.len(),
                        failed = report.failed.len(),
                        "[scheduler] rescue"
                    );
                }
                record_rescued("rescued", report.requeued.len());
                record_rescued("abandoned", report.failed.len());
                if !report.requeued.is_empty() {
                    wake_workers(wakeup);
                }
                config.rescue_interval
            }
            Err(error) => {
                let wait = backoff.next_delay();
                tracing::error!(%error, retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "[scheduler] rescue failed");
                wait
            }
        };
        if sleep_or_cancelled(wait, shutdown).await {
            return;
        }
    }
}
