//! The row of `google_contacts_sync_jobs` and its mapping to the domain's `SyncJob` and `JobLease`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use pulse_domain::{JobCounts, JobLease, JobStatus, JobTrigger, SyncJob, UserId};
use uuid::Uuid;

use crate::error::StorageError;
use crate::schema::google_contacts_sync_jobs as jobs;

/// A full row of `google_contacts_sync_jobs` (also read from `RETURNING *`).
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = jobs, check_for_backend(diesel::pg::Pg))]
pub(crate) struct JobRow {
    pub(crate) id: Uuid,
    pub(crate) user_id: String,
    pub(crate) trigger: String,
    pub(crate) status: String,
    pub(crate) fetched: i64,
    pub(crate) total_contacts: i64,
    pub(crate) synced: i64,
    pub(crate) created: i64,
    pub(crate) updated: i64,
    pub(crate) unchanged: i64,
    pub(crate) deleted: i64,
    pub(crate) skipped_no_identifier: i64,
    pub(crate) reported_deletions: i64,
    pub(crate) error: Option<String>,
    pub(crate) attempt: i32,
    pub(crate) worker_id: Option<String>,
    pub(crate) lease_expires_at: Option<DateTime<Utc>>,
    pub(crate) run_after: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) started_at: Option<DateTime<Utc>>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
}

impl JobRow {
    /// The domain's view of the row.
    pub(crate) fn into_domain(self) -> Result<SyncJob, StorageError> {
        Ok(SyncJob {
            id: self.id,
            user_id: UserId::parse(&self.user_id)?,
            trigger: JobTrigger::parse(&self.trigger)?,
            status: JobStatus::parse(&self.status)?,
            fetched: self.fetched,
            counts: JobCounts {
                total_contacts: self.total_contacts,
                synced: self.synced,
                created: self.created,
                updated: self.updated,
                unchanged: self.unchanged,
                deleted: self.deleted,
                skipped_no_identifier: self.skipped_no_identifier,
                reported_deletions: self.reported_deletions,
            },
            error: self.error,
            attempt: self.attempt,
            worker_id: self.worker_id,
            lease_expires_at: self.lease_expires_at,
            run_after: self.run_after,
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
        })
    }

    /// The lease of a row just claimed (running, with a worker and a start time).
    pub(crate) fn into_lease(self) -> Result<JobLease, StorageError> {
        let (Some(worker_id), Some(started_at)) = (self.worker_id, self.started_at) else {
            return Err(StorageError::Corrupt(format!(
                "claimed job {} has no worker or start time",
                self.id
            )));
        };
        Ok(JobLease {
            job_id: self.id,
            user_id: UserId::parse(&self.user_id)?,
            attempt: self.attempt,
            worker_id,
            trigger: JobTrigger::parse(&self.trigger)?,
            started_at,
        })
    }
}

/// The job's count columns set to `counts` (progress `fetched` follows `total_contacts`).
pub(crate) type CountsChangeset = (
    diesel::dsl::Eq<jobs::fetched, i64>,
    diesel::dsl::Eq<jobs::total_contacts, i64>,
    diesel::dsl::Eq<jobs::synced, i64>,
    diesel::dsl::Eq<jobs::created, i64>,
    diesel::dsl::Eq<jobs::updated, i64>,
    diesel::dsl::Eq<jobs::unchanged, i64>,
    diesel::dsl::Eq<jobs::deleted, i64>,
    diesel::dsl::Eq<jobs::skipped_no_identifier, i64>,
    diesel::dsl::Eq<jobs::reported_deletions, i64>,
);

/// The changeset that stores `counts` on a job.
pub(crate) fn counts_changeset(counts: &JobCounts) -> CountsChangeset {
    (
        jobs::fetched.eq(counts.total_contacts),
        jobs::total_contacts.eq(counts.total_contacts),
        jobs::synced.eq(counts.synced),
        jobs::created.eq(counts.created),
        jobs::updated.eq(counts.updated),
        jobs::unchanged.eq(counts.unchanged),
        jobs::deleted.eq(counts.deleted),
        jobs::skipped_no_identifier.eq(counts.skipped_no_identifier),
        jobs::reported_deletions.eq(counts.reported_deletions),
    )
}

/// This job and this attempt.
type ThisAttempt =
    diesel::dsl::And<diesel::dsl::Eq<jobs::id, Uuid>, diesel::dsl::Eq<jobs::attempt, i32>>;

/// This job and this attempt, still running: the fence of every worker write.
pub(crate) type Fence = diesel::dsl::And<ThisAttempt, diesel::dsl::Eq<jobs::status, &'static str>>;

/// The filter every worker write is fenced by: this job, this attempt, still running.
pub(crate) fn fenced(lease: &JobLease) -> Fence {
    jobs::id
        .eq(lease.job_id)
        .and(jobs::attempt.eq(lease.attempt))
        .and(jobs::status.eq(JobStatus::Running.as_str()))
}
