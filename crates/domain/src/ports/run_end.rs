//! `RunEnd`: how a sync run ended, everything its end writes (the job, the sync token, the
//! connection state and the schedule) described in one value so storage writes it in one
//! transaction, and the schedule rule it applies there.

use chrono::{DateTime, Utc};

use crate::config::AutoSyncConfig;
use crate::job::{JobCounts, JobLease, JobStatus};
use crate::schedule::{FailureKind, SyncFailure, on_failure, on_success};
use crate::secret::Secret;

/// How a run ended, with what its end writes.
#[derive(Debug, Clone)]
pub struct RunEnd {
    /// The run's counts over all pages (a full listing's sweep adds its deletions).
    pub counts: JobCounts,
    /// When the run ended.
    pub finished_at: DateTime<Utc>,
    /// The generation of the Google connection the run loaded at its start: the sync token,
    /// `reauth_required` and the schedule are written only while it is still the current one.
    /// `None` when the run found no connection (nothing of a connection is written then).
    pub grant: Option<i64>,
    /// Completed, retrying or failed.
    pub ending: RunEnding,
}

/// The three ways a run ends.
#[derive(Debug, Clone)]
pub enum RunEnding {
    /// The listing was applied to its end.
    Completed {
        /// The sync token from the last page, for the next incremental run.
        sync_token: Option<Secret>,
        /// Whether the run listed everything (then profiles it did not see are deleted).
        full_listing: bool,
    },
    /// The attempt failed and the job is queued again; the schedule is left as it is.
    Retrying {
        /// What went wrong, for the job's `error`.
        message: String,
        /// When the next attempt may start.
        retry_at: DateTime<Utc>,
    },
    /// The job failed for good.
    Failed {
        /// The failure, for the job, the schedule's backoff or pause, and the connection.
        failure: SyncFailure,
        /// The jitter fraction of the schedule's retry delay.
        jitter: f64,
    },
}

impl RunEnd {
    /// The job's status after this end.
    pub fn job_status(&self) -> JobStatus {
        match self.ending {
            RunEnding::Completed { .. } => JobStatus::Completed,
            RunEnding::Retrying { .. } => JobStatus::Queued,
            RunEnding::Failed { .. } => JobStatus::Failed,
        }
    }

    /// The job's `error` after this end.
    pub fn error(&self) -> Option<&str> {
        match &self.ending {
            RunEnding::Completed { .. } => None,
            RunEnding::Retrying { message, .. } => Some(message),
            RunEnding::Failed { failure, .. } => Some(&failure.message),
        }
    }

    /// Whether the end marks the connection `reauth_required` (Google refused its grant).
    pub fn marks_reauth_required(&self) -> bool {
        matches!(&self.ending, RunEnding::Failed { failure, .. } if failure.kind == FailureKind::Authorization)
    }

    /// Whether the end changes the schedule at all (a retry leaves it to the next attempt).
    pub fn changes_schedule(&self) -> bool {
        !matches!(self.ending, RunEnding::Retrying { .. })
    }

    /// The configuration as this end leaves it (the schedule rules `on_success`/`on_failure`),
    /// or `None` when the end does not touch the schedule.
    pub fn schedule(&self, config: &AutoSyncConfig, lease: &JobLease) -> Option<AutoSyncConfig> {
        match &self.ending {
            RunEnding::Completed { .. } => Some(on_success(config, lease.started_at)),
            RunEnding::Retrying { .. } => None,
            RunEnding::Failed { failure, jitter } => {
                Some(on_failure(config, self.finished_at, failure, *jitter))
            }
        }
    }
}
