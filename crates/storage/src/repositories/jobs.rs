//! `JobRepository` on PostgreSQL: manual jobs (refused while one is active), lookups, and a
//! user's jobs newest first with keyset cursors.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use pulse_domain::ports::{EnqueueError, JobRepository, Page, StoreError};
use pulse_domain::{JobStatus, JobTrigger, SyncJob, UserId};
use uuid::Uuid;

use crate::cursor;
use crate::error::StorageError;
use crate::repositories::job_rows::JobRow;
use crate::schema::google_contacts_sync_jobs as jobs;
use crate::store::PgStore;

/// The most jobs one list call returns.
pub const MAX_JOBS_PER_PAGE: i64 = 1000;

/// How often enqueueing retries when the active job it collided with ended in between.
const ENQUEUE_ATTEMPTS: usize = 3;

/// The statuses the one-active-job index covers.
pub(crate) const ACTIVE_STATUSES: [&str; 2] = ["queued", "running"];

impl PgStore {
    async fn enqueue_manual_row(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> Result<SyncJob, EnqueueError> {
        let mut connection = self.unit().await.map_err(StoreError::from)?;
        for _ in 0..ENQUEUE_ATTEMPTS {
            let inserted = diesel::insert_into(jobs::table)
                .values((
                    jobs::user_id.eq(user.as_str()),
                    jobs::trigger.eq(JobTrigger::Manual.as_str()),
                    jobs::status.eq(JobStatus::Queued.as_str()),
                    jobs::created_at.eq(now),
                    jobs::run_after.eq(now),
                ))
                .on_conflict_do_nothing()
                .returning(JobRow::as_returning())
                .get_result(&mut *connection)
                .await
                .optional()
                .map_err(StorageError::from)
                .map_err(StoreError::from)?;
            if let Some(row) = inserted {
                connection.commit().await.map_err(StoreError::from)?;
                return Ok(row.into_domain().map_err(StoreError::from)?);
            }
            let active = jobs::table
                .filter(jobs::user_id.eq(user.as_str()))
                .filter(jobs::status.eq_any(ACTIVE_STATUSES))
                .select(jobs::id)
                .first::<Uuid>(&mut *connection)
                .await
                .optional()
                .map_err(StorageError::from)
                .map_err(StoreError::from)?;
            if let Some(job_id) = active {
                connection.commit().await.map_err(StoreError::from)?;
                return Err(EnqueueError::AlreadyActive { job_id });
            }
        }
        Err(StoreError::Database(format!(
            "could not queue a job after {ENQUEUE_ATTEMPTS} attempts: the active job kept changing"
        ))
        .into())
    }

    async fn find_job_row(&self, id: Uuid) -> Result<Option<SyncJob>, StorageError> {
        let mut connection = self.unit().await?;
        let row = jobs::table
            .find(id)
            .select(JobRow::as_select())
            .first(&mut *connection)
            .await
            .optional()?;
        connection.commit().await?;
        row.map(JobRow::into_domain).transpose()
    }

    async fn list_job_rows(
        &self,
        user: &UserId,
        limit: i64,
        cursor: Option<&str>,
    ) -> Result<Page<SyncJob>, StorageError> {
        let limit = limit.clamp(1, MAX_JOBS_PER_PAGE);
        let mut query = jobs::table
            .filter(jobs::user_id.eq(user.as_str()))
            .select(JobRow::as_select())
            .order((jobs::created_at.desc(), jobs::id.desc()))
            .limit(limit + 1)
            .into_boxed();
        if let Some(cursor) = cursor {
            let (created_at, id) = cursor::decode_time(cursor)?;
            query = query.filter(
                jobs::created_at
                    .lt(created_at)
                    .or(jobs::created_at.eq(created_at).and(jobs::id.lt(id))),
            );
        }
        let mut connection = self.unit().await?;
        let mut rows = query.load(&mut *connection).await?;
        connection.commit().await?;
        let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next_cursor = more
            .then(|| {
                rows.last()
                    .map(|row| cursor::encode_time(row.created_at, row.id))
            })
            .flatten();
        Ok(Page {
            items: rows
                .into_iter()
                .map(JobRow::into_domain)
                .collect::<Result<_, _>>()?,
            next_cursor,
        })
    }
}

impl JobRepository for PgStore {
    async fn enqueue_manual(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> Result<SyncJob, EnqueueError> {
        self.enqueue_manual_row(user, now).await
    }

    async fn find_job(&self, id: Uuid) -> Result<Option<SyncJob>, StoreError> {
        Ok(self.find_job_row(id).await?)
    }

    async fn list_jobs(
        &self,
        user: &UserId,
        limit: i64,
        cursor: Option<&str>,
    ) -> Result<Page<SyncJob>, StoreError> {
        Ok(self.list_job_rows(user, limit, cursor).await?)
    }
}
