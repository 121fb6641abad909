//! The scheduler's errors: a configuration it cannot run with, and a foreground run that failed.

use std::time::Duration;

use pulse_domain::ports::{EnqueueError, StoreError};
use uuid::Uuid;

/// A [`SchedulerConfig`](crate::SchedulerConfig) the scheduler cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A duration that must be positive is zero.
    #[error("scheduler setting `{0}` must be longer than zero")]
    ZeroDuration(&'static str),
    /// The scan batch is not positive.
    #[error("the scan batch must be at least 1, not {0}")]
    ScanBatch(i64),
    /// No worker slots.
    #[error("the scheduler needs at least one worker")]
    NoWorkers,
    /// The maximum attempts is not positive.
    #[error("the maximum attempts must be at least 1, not {0}")]
    MaxAttempts(i32),
    /// The heartbeat would not keep the lease alive.
    #[error(
        "the heartbeat ({heartbeat:?}) must be positive and shorter than the lease ({lease:?})"
    )]
    Heartbeat {
        /// The heartbeat interval.
        heartbeat: Duration,
        /// The lease.
        lease: Duration,
    },
    /// The lease does not fit a timestamp difference.
    #[error("the lease {0:?} is too long")]
    LeaseTooLong(Duration),
}

/// Why a foreground run (the CLI's `sync --workspace`) did not run the job here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForegroundError {
    /// The user already has a queued or running job.
    #[error("a sync is already queued or running for this workspace (job {job_id})")]
    AlreadyActive {
        /// The active job.
        job_id: Uuid,
    },
    /// The settings are unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The job vanished from the queue while it was being followed.
    #[error("job {job_id} no longer exists")]
    JobMissing {
        /// The job.
        job_id: Uuid,
    },
}

impl From<EnqueueError> for ForegroundError {
    fn from(error: EnqueueError) -> Self {
        match error {
            EnqueueError::AlreadyActive { job_id } => Self::AlreadyActive { job_id },
            EnqueueError::Store(store) => Self::Store(store),
        }
    }
}
