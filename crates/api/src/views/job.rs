//! `JobView`: a sync job as one flat object; `JobPage`: a page of them.

use chrono::{DateTime, Utc};
use pulse_domain::{JobStatus, JobTrigger, SyncJob};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// What started a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = JobTrigger)]
pub(crate) enum JobTriggerView {
    /// The scheduler.
    Auto,
    /// "Sync now" or the CLI.
    Manual,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = JobStatus)]
pub(crate) enum JobStatusView {
    /// Waiting for a worker.
    Queued,
    /// Being run.
    Running,
    /// Finished.
    Completed,
    /// Ended with an error.
    Failed,
    /// Stopped before it ran.
    Cancelled,
}

impl From<JobTrigger> for JobTriggerView {
    fn from(trigger: JobTrigger) -> Self {
        match trigger {
            JobTrigger::Auto => Self::Auto,
            JobTrigger::Manual => Self::Manual,
        }
    }
}

impl From<JobStatus> for JobStatusView {
    fn from(status: JobStatus) -> Self {
        match status {
            JobStatus::Queued => Self::Queued,
            JobStatus::Running => Self::Running,
            JobStatus::Completed => Self::Completed,
            JobStatus::Failed => Self::Failed,
            JobStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// One sync job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Job)]
pub(crate) struct JobView {
    /// The job id.
    pub id: Uuid,
    /// Whose contacts it syncs.
    pub workspace_id: String,
    /// What started it.
    pub trigger: JobTriggerView,
    /// Where it is.
    pub status: JobStatusView,
    /// People fetched so far.
    pub fetched: i64,
    /// People Google returned (including reported deletions).
    pub total_contacts: i64,
    /// People with an email or phone: created + updated + unchanged.
    pub synced: i64,
    /// Profiles created.
    pub created: i64,
    /// Profiles changed.
    pub updated: i64,
    /// Profiles unchanged.
    pub unchanged: i64,
    /// Profiles marked deleted.
    pub deleted: i64,
    /// People without an email or phone.
    pub skipped_no_identifier: i64,
    /// The failure message of a failed job.
    #[schema(required = true)]
    pub error: Option<String>,
    /// 1 for the first run; retries and rescues add one.
    pub attempt: i32,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the current attempt started.
    #[schema(required = true)]
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<&SyncJob> for JobView {
    fn from(job: &SyncJob) -> Self {
        Self {
            id: job.id,
            workspace_id: job.user_id.as_str().to_owned(),
            trigger: job.trigger.into(),
            status: job.status.into(),
            fetched: job.fetched,
            total_contacts: job.counts.total_contacts,
            synced: job.counts.synced,
            created: job.counts.created,
            updated: job.counts.updated,
            unchanged: job.counts.unchanged,
            deleted: job.counts.deleted,
            skipped_no_identifier: job.counts.skipped_no_identifier,
            error: job.error.clone(),
            attempt: job.attempt,
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
        }
    }
}

/// A page of jobs, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct JobPage {
    /// The jobs of this page.
    pub items: Vec<JobView>,
    /// Pass as `cursor` for the next page; null on the last.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}
