//! The CLI's foreground sync: queue a manual job for one user and run that very job here, with the
//! same lease, heartbeat and fencing as a worker.

use std::time::Instant;

use pulse_domain::ports::{Clock, JobQueue, JobRepository};
use pulse_domain::sync::{SyncOutcome, SyncProgress};
use pulse_domain::{SyncJob, UserId};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::backoff::sleep_or_cancelled;
use crate::config::SchedulerConfig;
use crate::error::ForegroundError;
use crate::heartbeat::HeldLeases;
use crate::job_task::{JobEnd, LeaseTiming, run_leased};
use crate::runner::SyncRunner;
use crate::worker_id::worker_id;

/// How a foreground run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForegroundRun {
    /// The job ran here.
    Ran {
        /// The job.
        job_id: Uuid,
        /// How its last attempt here ended.
        end: JobEnd,
    },
    /// A running scheduler claimed the job first; this is the job as last seen (final unless
    /// the run was cancelled while following it).
    RanElsewhere(SyncJob),
}

/// Queues a manual job for `user` and runs it in the foreground, retrying transient failures after
/// the engine's backoff, until it ends or `cancel` is cancelled (then the job is handed back);
/// time comes from `clock`.
pub async fn run_job_now<Q, R, P>(
    queue: &Q,
    runner: &R,
    clock: &dyn Clock,
    user: &UserId,
    config: &SchedulerConfig,
    progress: &P,
    cancel: &CancellationToken,
) -> Result<ForegroundRun, ForegroundError>
where
    Q: JobQueue + JobRepository,
    R: SyncRunner,
    P: SyncProgress,
{
    config.validate()?;
    let job = queue.enqueue_manual(user, clock.now()).await?;
    tracing::info!(user = %user, job = %job.id, "[scheduler] manual job queued for a foreground sync");
    let worker = worker_id(&format!("{}-cli", config.worker_id_prefix));
    let timing = LeaseTiming {
        lease: config.lease_delta(),
        lease_std: config.lease,
        heartbeat: config.heartbeat_interval(),
    };
    loop {
        let claimed_at = Instant::now();
        let claimed = queue
            .claim_job(job.id, &worker, config.lease_delta(), clock.now())
            .await?;
        let Some(lease) = claimed else {
            tracing::info!(user = %user, job = %job.id, "[scheduler] a scheduler claimed the job first; following it");
            return follow(queue, job.id, config, cancel).await;
        };
        let held = HeldLeases::default();
        let lost = held.hold(&lease, claimed_at + timing.lease_std);
        let beating = CancellationToken::new();
        let run = async {
            let end = run_leased(queue, runner, &lease, &lost, cancel, progress).await;
            beating.cancel();
            end
        };
        let (end, ()) = tokio::join!(run, held.keep_alive(queue, clock, timing, &beating));
        let JobEnd::Finished(SyncOutcome::Retrying { retry_at, .. }) = &end else {
            return Ok(ForegroundRun::Ran {
                job_id: job.id,
                end,
            });
        };
        let wait = (*retry_at - clock.now()).to_std().unwrap_or_default();
        if sleep_or_cancelled(wait, cancel).await {
            return Ok(ForegroundRun::Ran {
                job_id: job.id,
                end,
            });
        }
    }
}

/// Polls the job until it ends (or `cancel`), for a job another worker runs.
async fn follow<Q: JobRepository>(
    queue: &Q,
    job_id: Uuid,
    config: &SchedulerConfig,
    cancel: &CancellationToken,
) -> Result<ForegroundRun, ForegroundError> {
    loop {
        let job = queue
            .find_job(job_id)
            .await?
            .ok_or(ForegroundError::JobMissing { job_id })?;
        if job.status.is_final() || sleep_or_cancelled(config.poll_interval, cancel).await {
            return Ok(ForegroundRun::RanElsewhere(job));
        }
    }
}
