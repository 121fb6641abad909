//! `JobQueue` on PostgreSQL: the due scanner's batch enqueue, claims with `FOR UPDATE SKIP
//! LOCKED`, one heartbeat for all of a process's leases, the rescuer and release; each one
//! statement or one transaction.

use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_domain::ports::{JobQueue, RescueReport, StoreError};
use pulse_domain::schedule::advance;
use pulse_domain::webhook::event_for_rescued_failure;
use pulse_domain::{JobLease, JobStatus, SyncJob};
use uuid::Uuid;

use crate::error::StorageError;
use crate::repositories::configs::ConfigRow;
use crate::repositories::job_rows::{JobRow, fenced};
use crate::repositories::webhooks::write_events_in;
use crate::schema::google_contacts_sync_jobs as jobs;
use crate::store::PgStore;

/// The channel the jobs table's triggers notify when queued jobs appear.
pub const NOTIFY_CHANNEL: &str = "pulse_sync_jobs";

/// Due configurations, locked, in due order; uses the partial due index. Users with an active
/// job are excluded by a hashed subplan read once per batch (`user_id` is never null, so `NOT IN`
/// is exact): a correlated `NOT EXISTS` compared each candidate with every job the same scan had
/// just queued.
const SELECT_DUE: &str = "
    SELECT c.user_id, c.enabled, c.interval_hours, c.last_sync_at, c.next_sync_at, c.grid_slot_at,
           c.consecutive_failures, c.paused_reason, c.last_error, c.created_at, c.updated_at
    FROM google_contacts_auto_sync_config c
    WHERE c.enabled AND c.paused_reason IS NULL AND c.next_sync_at <= $1
      AND c.user_id NOT IN (
          SELECT j.user_id FROM google_contacts_sync_jobs j WHERE j.status IN ('queued', 'running'))
    ORDER BY c.next_sync_at, c.user_id
    LIMIT $2
    FOR UPDATE OF c SKIP LOCKED";

/// One `auto` job per user; the one-active-job index refuses duplicates silently.
const INSERT_AUTO_JOBS: &str = "
    INSERT INTO google_contacts_sync_jobs (user_id, trigger, status, created_at, run_after)
    SELECT user_id, 'auto', 'queued', $2, $2 FROM unnest($1::text[]) AS due(user_id)
    ON CONFLICT DO NOTHING
    RETURNING *";

/// Moves each user's `next_sync_at` to its new grid slot (a dispatched retry hands back to it).
const ADVANCE_SCHEDULES: &str = "
    UPDATE google_contacts_auto_sync_config c
    SET next_sync_at = advanced.next_sync_at, grid_slot_at = NULL, updated_at = $3
    FROM unnest($1::text[], $2::timestamptz[]) AS advanced(user_id, next_sync_at)
    WHERE c.user_id = advanced.user_id";

/// The earliest schedule of an active config without an active job.
const EARLIEST_DUE: &str = "
    SELECT c.next_sync_at AS at
    FROM google_contacts_auto_sync_config c
    WHERE c.enabled AND c.paused_reason IS NULL AND c.next_sync_at IS NOT NULL
      AND NOT EXISTS (
          SELECT 1 FROM google_contacts_sync_jobs j
          WHERE j.user_id = c.user_id AND j.status IN ('queued', 'running'))
    ORDER BY c.next_sync_at
    LIMIT 1";

/// Claims the oldest runnable queued jobs; a new attempt starts with fresh progress.
const CLAIM: &str = "
    UPDATE google_contacts_sync_jobs
    SET status = 'running', attempt = attempt + 1, worker_id = $1, started_at = $2,
        lease_expires_at = $3, finished_at = NULL, fetched = 0, total_contacts = 0, synced = 0,
        created = 0, updated = 0, unchanged = 0, deleted = 0, skipped_no_identifier = 0,
        reported_deletions = 0
    WHERE id IN (
        SELECT id FROM google_contacts_sync_jobs
        WHERE status = 'queued' AND run_after <= $2
        ORDER BY created_at, id
        LIMIT $4
        FOR UPDATE SKIP LOCKED)
    RETURNING *";

/// Claims one given queued job, whatever its `run_after`.
const CLAIM_ONE: &str = "
    UPDATE google_contacts_sync_jobs
    SET status = 'running', attempt = attempt + 1, worker_id = $1, started_at = $2,
        lease_expires_at = $3, finished_at = NULL, fetched = 0, total_contacts = 0, synced = 0,
        created = 0, updated = 0, unchanged = 0, deleted = 0, skipped_no_identifier = 0,
        reported_deletions = 0
    WHERE id = $4 AND status = 'queued'
    RETURNING *";

/// Expired leases: queued again, or failed on their last attempt. Jobs a worker is writing to
/// at this moment (row locked) are left for the next pass.
const RESCUE: &str = "
    UPDATE google_contacts_sync_jobs
    SET status = CASE WHEN attempt >= $2 THEN 'failed' ELSE 'queued' END,
        error = CASE WHEN attempt >= $2
                     THEN format('worker lost its lease %s times', attempt)
                     ELSE error END,
        finished_at = CASE WHEN attempt >= $2 THEN $1 ELSE NULL END,
        run_after = CASE WHEN attempt >= $2 THEN run_after ELSE $1 END,
        worker_id = NULL,
        lease_expires_at = NULL
    WHERE id IN (
        SELECT id FROM google_contacts_sync_jobs
        WHERE status = 'running' AND lease_expires_at < $1
        FOR UPDATE SKIP LOCKED)
    RETURNING *";

/// Extends the leases of the given attempts that are still running, in one statement, and
/// returns the jobs of the others (lost to the rescuer or another attempt).
const HEARTBEAT: &str = "
    WITH held AS (
        SELECT * FROM unnest($1::uuid[], $2::integer[]) AS held(id, attempt)),
    extended AS (
        UPDATE google_contacts_sync_jobs j SET lease_expires_at = $3
        FROM held
        WHERE j.id = held.id AND j.attempt = held.attempt AND j.status = 'running'
        RETURNING j.id)
    SELECT held.id FROM held WHERE held.id NOT IN (SELECT id FROM extended)";

#[derive(QueryableByName)]
struct LostLease {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
}

#[derive(QueryableByName)]
struct DueAt {
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

impl PgStore {
    async fn enqueue_due_rows(
        &self,
        now: DateTime<Utc>,
        batch: i64,
    ) -> Result<Vec<SyncJob>, StorageError> {
        let mut transaction = self.transaction().await?;
        let queued = enqueue_due_locked(&mut transaction, now, batch).await?;
        transaction.commit().await?;
        Ok(queued)
    }

    async fn earliest_due(&self) -> Result<Option<DateTime<Utc>>, StorageError> {
        let mut connection = self.unit().await?;
        let due = diesel::sql_query(EARLIEST_DUE)
            .get_result::<DueAt>(&mut *connection)
            .await
            .optional()?;
        connection.commit().await?;
        Ok(due.map(|row| row.at))
    }

    async fn claim_rows(
        &self,
        worker_id: &str,
        limit: i64,
        lease_for: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Vec<JobLease>, StorageError> {
        let mut connection = self.unit().await?;
        let mut rows: Vec<JobRow> = diesel::sql_query(CLAIM)
            .bind::<Text, _>(worker_id)
            .bind::<Timestamptz, _>(now)
            .bind::<Timestamptz, _>(now + lease_for)
            .bind::<BigInt, _>(limit.max(0))
            .load(&mut *connection)
            .await?;
        connection.commit().await?;
        rows.sort_by_key(|row| (row.created_at, row.id));
        rows.into_iter().map(JobRow::into_lease).collect()
    }

    async fn claim_one_row(
        &self,
        job_id: Uuid,
        worker_id: &str,
        lease_for: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Option<JobLease>, StorageError> {
        let mut connection = self.unit().await?;
        let row = diesel::sql_query(CLAIM_ONE)
            .bind::<Text, _>(worker_id)
            .bind::<Timestamptz, _>(now)
            .bind::<Timestamptz, _>(now + lease_for)
            .bind::<diesel::sql_types::Uuid, _>(job_id)
            .get_result::<JobRow>(&mut *connection)
            .await
            .optional()?;
        connection.commit().await?;
        row.map(JobRow::into_lease).transpose()
    }

    async fn heartbeat_rows(
        &self,
        leases: &[JobLease],
        until: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, StorageError> {
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = leases.iter().map(|lease| lease.job_id).collect();
        let attempts: Vec<i32> = leases.iter().map(|lease| lease.attempt).collect();
        let mut connection = self.unit().await?;
        let lost: Vec<LostLease> = diesel::sql_query(HEARTBEAT)
            .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
            .bind::<Array<Integer>, _>(&attempts)
            .bind::<Timestamptz, _>(until)
            .load(&mut *connection)
            .await?;
        connection.commit().await?;
        Ok(lost.into_iter().map(|row| row.id).collect())
    }

    async fn rescue_rows(
        &self,
        now: DateTime<Utc>,
        max_attempts: i32,
    ) -> Result<RescueReport, StorageError> {
        let mut connection = self.transaction().await?;
        let rows: Vec<JobRow> = diesel::sql_query(RESCUE)
            .bind::<Timestamptz, _>(now)
            .bind::<Integer, _>(max_attempts)
            .load(&mut *connection)
            .await?;
        let mut report = RescueReport::default();
        for row in rows {
            let job = row.into_domain()?;
            // A job failed for good reports `sync.failed` in the rescue's own transaction, as a
            // run's end does.
            if let Some(event) = event_for_rescued_failure(&job) {
                write_events_in(&mut connection, &job.user_id, &[event], None, now).await?;
                report.failed.push(job.id);
            } else {
                report.requeued.push(job.id);
            }
        }
        connection.commit().await?;
        report.failed.sort();
        report.requeued.sort();
        Ok(report)
    }

    async fn release_row(&self, lease: &JobLease) -> Result<bool, StorageError> {
        let mut connection = self.unit().await?;
        let no_worker: Option<&str> = None;
        let released = diesel::update(jobs::table)
            .filter(fenced(lease))
            .set((
                jobs::status.eq(JobStatus::Queued.as_str()),
                jobs::worker_id.eq(no_worker),
                jobs::lease_expires_at.eq(None::<DateTime<Utc>>),
            ))
            .execute(&mut *connection)
            .await?;
        connection.commit().await?;
        Ok(released == 1)
    }
}

/// Inside one transaction: lock due configs, queue their jobs, advance their schedules.
async fn enqueue_due_locked(
    connection: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    batch: i64,
) -> Result<Vec<SyncJob>, StorageError> {
    let due: Vec<ConfigRow> = diesel::sql_query(SELECT_DUE)
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(batch.max(0))
        .load(connection)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let mut users = Vec::with_capacity(due.len());
    let mut next_slots = Vec::with_capacity(due.len());
    for row in due {
        let config = row.into_domain()?;
        let advanced = advance(&config, now);
        next_slots.push(advanced.next_sync_at.unwrap_or(now));
        users.push(config.user_id.as_str().to_owned());
    }
    let mut inserted: Vec<JobRow> = diesel::sql_query(INSERT_AUTO_JOBS)
        .bind::<Array<Text>, _>(&users)
        .bind::<Timestamptz, _>(now)
        .load(connection)
        .await?;
    diesel::sql_query(ADVANCE_SCHEDULES)
        .bind::<Array<Text>, _>(&users)
        .bind::<Array<Timestamptz>, _>(&next_slots)
        .bind::<Timestamptz, _>(now)
        .execute(connection)
        .await?;
    inserted.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    inserted.into_iter().map(JobRow::into_domain).collect()
}

impl JobQueue for PgStore {
    async fn enqueue_due(
        &self,
        now: DateTime<Utc>,
        batch: i64,
    ) -> Result<Vec<SyncJob>, StoreError> {
        Ok(self.enqueue_due_rows(now, batch).await?)
    }

    async fn earliest_due_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.earliest_due().await?)
    }

    async fn claim_jobs(
        &self,
        worker_id: &str,
        limit: i64,
        lease_for: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Vec<JobLease>, StoreError> {
        Ok(self.claim_rows(worker_id, limit, lease_for, now).await?)
    }

    async fn claim_job(
        &self,
        job_id: Uuid,
        worker_id: &str,
        lease_for: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<Option<JobLease>, StoreError> {
        Ok(self
            .claim_one_row(job_id, worker_id, lease_for, now)
            .await?)
    }

    async fn heartbeat(
        &self,
        leases: &[JobLease],
        until: DateTime<Utc>,
    ) -> Result<Vec<Uuid>, StoreError> {
        Ok(self.heartbeat_rows(leases, until).await?)
    }

    async fn rescue_expired(
        &self,
        now: DateTime<Utc>,
        max_attempts: i32,
    ) -> Result<RescueReport, StoreError> {
        Ok(self.rescue_rows(now, max_attempts).await?)
    }

    async fn release(&self, lease: &JobLease) -> Result<bool, StoreError> {
        Ok(self.release_row(lease).await?)
    }
}
