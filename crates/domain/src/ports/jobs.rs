//! `JobRepository` (what the API needs of jobs) and `JobQueue` (the scheduler's queue machinery).

use std::future::Future;

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use crate::job::{JobLease, SyncJob};
use crate::ports::{EnqueueError, StoreError};
use crate::user_id::UserId;

/// One page of a list, with the opaque cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass back to get the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// What one rescue pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RescueReport {
    /// Jobs whose lease expired, queued again for another attempt.
    pub requeued: Vec<Uuid>,
    /// Jobs whose lease expired on their last attempt, now failed.
    pub failed: Vec<Uuid>,
}

/// Jobs as the API sees them.
pub trait JobRepository: Send + Sync {
    /// Queues a manual job unless one is already queued or running for the user.
    fn enqueue_manual(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<SyncJob, EnqueueError>> + Send;

    /// One job by id.
    fn find_job(
        &self,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<SyncJob>, StoreError>> + Send;

    /// A user's jobs, newest first.
    fn list_jobs(
        &self,
        user: &UserId,
        limit: i64,
        cursor: Option<&str>,
    ) -> impl Future<Output = Result<Page<SyncJob>, StoreError>> + Send;
}

/// The queue: the due scanner, claims with leases, heartbeats, rescue and release.
pub trait JobQueue: Send + Sync {
    /// Enqueues one batch of due users: claims due configs with `SKIP LOCKED`, inserts an `auto`
    /// job for each and advances its `next_sync_at` along the grid, in one transaction.
    fn enqueue_due(
        &self,
        now: DateTime<Utc>,
        batch: i64,
    ) -> impl Future<Output = Result<Vec<SyncJob>, StoreError>> + Send;

    /// The earliest `next_sync_at` of an active config, to sleep until.
    fn earliest_due_at(
        &self,
    ) -> impl Future<Output = Result<Option<DateTime<Utc>>, StoreError>> + Send;

    /// Claims up to `limit` queued jobs, oldest first, as `running` with a lease.
    fn claim_jobs(
        &self,
        worker_id: &str,
        limit: i64,
        lease_for: TimeDelta,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<JobLease>, StoreError>> + Send;

    /// Claims one given job (the CLI's foreground sync) as `running` with a lease, whatever its
    /// `run_after`; `None` when it is not queued (another worker claimed it, or it ended).
    fn claim_job(
        &self,
        job_id: Uuid,
        worker_id: &str,
        lease_for: TimeDelta,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<JobLease>, StoreError>> + Send;

    /// Extends all of `leases` to `until` in one statement; returns the jobs among them whose
    /// lease was lost (their workers must stop).
    fn heartbeat(
        &self,
        leases: &[JobLease],
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Uuid>, StoreError>> + Send;

    /// Requeues jobs whose lease expired, or fails those on their last attempt.
    fn rescue_expired(
        &self,
        now: DateTime<Utc>,
        max_attempts: i32,
    ) -> impl Future<Output = Result<RescueReport, StoreError>> + Send;

    /// Hands an unfinished job back to the queue at once (graceful shutdown).
    fn release(&self, lease: &JobLease) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
