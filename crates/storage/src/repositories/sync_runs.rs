//! `SyncRunStore` on PostgreSQL: a run's page writes, its completion (deletion sweep of a full
//! listing, the sealed sync token, final counts) and its failure, each one fenced transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_domain::ports::{CompletedRun, PageWrite, StoreError, SyncRunStore};
use pulse_domain::{JobCounts, JobLease, JobStatus};

use crate::crypto::KeyRing;
use crate::error::StorageError;
use crate::repositories::connections::sync_token_context;
use crate::repositories::job_rows::{counts_changeset, fenced};
use crate::repositories::page_write::{apply_page_in, lock_job};
use crate::schema::{google_connections as connections, google_contacts_sync_jobs as jobs};
use crate::store::PgStore;

/// Profiles of the user that the complete listing of this attempt did not see.
const SWEEP_UNSEEN: &str = "
    UPDATE relationship_profiles SET deleted_at = $4, updated_at = $4
    WHERE user_id = $1 AND source = 'google' AND deleted_at IS NULL
      AND (last_seen_job_id IS DISTINCT FROM $2 OR last_seen_attempt IS DISTINCT FROM $3)";

impl PgStore {
    async fn apply_page_rows(
        &self,
        lease: &JobLease,
        page: PageWrite<'_>,
    ) -> Result<JobCounts, StorageError> {
        let mut transaction = self.transaction().await?;
        let counts = apply_page_in(&mut transaction, lease, page).await?;
        transaction.commit().await?;
        Ok(counts)
    }

    async fn complete_run_rows(
        &self,
        lease: &JobLease,
        run: CompletedRun,
    ) -> Result<JobCounts, StorageError> {
        let keys = self.keys().clone();
        let mut transaction = self.transaction().await?;
        let counts = complete_in(&mut transaction, &keys, lease, run).await?;
        transaction.commit().await?;
        Ok(counts)
    }

    async fn fail_run_rows(
        &self,
        lease: &JobLease,
        message: &str,
        counts: JobCounts,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        let mut connection = self.unit().await?;
        let no_worker: Option<&str> = None;
        let failed = match retry_at {
            Some(retry_at) => {
                diesel::update(jobs::table)
                    .filter(fenced(lease))
                    .set((
                        jobs::status.eq(JobStatus::Queued.as_str()),
                        jobs::run_after.eq(retry_at),
                        jobs::worker_id.eq(no_worker),
                        jobs::lease_expires_at.eq(None::<DateTime<Utc>>),
                        jobs::error.eq(message),
                        counts_changeset(&counts),
                    ))
                    .execute(&mut *connection)
                    .await?
            }
            None => {
                diesel::update(jobs::table)
                    .filter(fenced(lease))
                    .set((
                        jobs::status.eq(JobStatus::Failed.as_str()),
                        jobs::finished_at.eq(diesel::dsl::now),
                        jobs::lease_expires_at.eq(None::<DateTime<Utc>>),
                        jobs::error.eq(message),
                        counts_changeset(&counts),
                    ))
                    .execute(&mut *connection)
                    .await?
            }
        };
        connection.commit().await?;
        if failed == 1 {
            Ok(())
        } else {
            Err(StorageError::LeaseLost)
        }
    }
}

/// Completes a run inside one transaction; nothing is written when the lease was lost.
async fn complete_in(
    connection: &mut AsyncPgConnection,
    keys: &KeyRing,
    lease: &JobLease,
    run: CompletedRun,
) -> Result<JobCounts, StorageError> {
    lock_job(connection, lease).await?;
    let mut counts = run.counts;
    if run.full_listing {
        let swept = diesel::sql_query(SWEEP_UNSEEN)
            .bind::<Text, _>(lease.user_id.as_str())
            .bind::<diesel::sql_types::Uuid, _>(lease.job_id)
            .bind::<Integer, _>(lease.attempt)
            .bind::<Timestamptz, _>(run.finished_at)
            .execute(connection)
            .await?;
        counts.deleted += i64::try_from(swept).unwrap_or(i64::MAX);
    }
    if let Some(token) = &run.sync_token {
        let sealed = keys.seal(token, &sync_token_context(&lease.user_id))?;
        diesel::update(connections::table)
            .filter(connections::user_id.eq(lease.user_id.as_str()))
            .set((
                connections::sync_token_ciphertext.eq(&sealed.ciphertext),
                connections::sync_token_nonce.eq(&sealed.nonce),
                connections::sync_token_key_id.eq(&sealed.key_id),
                connections::sync_token_issued_at.eq(run.finished_at),
                connections::updated_at.eq(run.finished_at),
            ))
            .execute(connection)
            .await?;
    }
    let no_error: Option<&str> = None;
    let completed = diesel::update(jobs::table)
        .filter(fenced(lease))
        .set((
            jobs::status.eq(JobStatus::Completed.as_str()),
            jobs::finished_at.eq(run.finished_at),
            jobs::lease_expires_at.eq(None::<DateTime<Utc>>),
            jobs::error.eq(no_error),
            counts_changeset(&counts),
        ))
        .execute(connection)
        .await?;
    if completed == 1 {
        Ok(counts)
    } else {
        Err(StorageError::LeaseLost)
    }
}

impl SyncRunStore for PgStore {
    async fn apply_page(
        &self,
        lease: &JobLease,
        page: PageWrite<'_>,
    ) -> Result<JobCounts, StoreError> {
        Ok(self.apply_page_rows(lease, page).await?)
    }

    async fn complete_run(
        &self,
        lease: &JobLease,
        run: CompletedRun,
    ) -> Result<JobCounts, StoreError> {
        Ok(self.complete_run_rows(lease, run).await?)
    }

    async fn fail_run(
        &self,
        lease: &JobLease,
        message: &str,
        counts: JobCounts,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        Ok(self.fail_run_rows(lease, message, counts, retry_at).await?)
    }
}
