//! `SyncRunStore` on PostgreSQL: a run's page writes, and its end (the listing's last page, the
//! job's final state, the deletion sweep of a full listing, the sealed sync token or
//! `reauth_required`, and the schedule), each one transaction fenced on the attempt; the end's
//! connection and schedule writes are also fenced on the connection's generation. The end also
//! writes the webhook events it reports into the outbox, in the same transaction, when an
//! endpoint wants them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_domain::ports::{PageWrite, RunEnd, RunEnding, StoreError, SyncRunStore};
use pulse_domain::webhook::{EndFacts, events_for_end};
use pulse_domain::{ConnectionStatus, JobCounts, JobLease, PausedReason};

use crate::crypto::KeyRing;
use crate::error::StorageError;
use crate::repositories::configs::{ConfigRow, ConfigWrite};
use crate::repositories::connections::sync_token_context;
use crate::repositories::job_rows::{counts_changeset, fenced};
use crate::repositories::page_write::{apply_page_in, write_page_in};
use crate::repositories::webhooks::{change_range_in, write_events_in};
use crate::schema::{
    google_connections as connections, google_contacts_auto_sync_config as configs,
    google_contacts_sync_jobs as jobs,
};
use crate::store::PgStore;

/// Profiles of the user that the complete listing of this attempt did not see, marked deleted,
/// each with the next change number. It takes the workspace's profile lock before any row lock
/// and any number (no row is written but through the join with it), held to the commit (see
/// `lock_job` in page_write.rs): the run's end starts with it, or with the last page's
/// `lock_job`, which takes that lock first too.
const SWEEP_UNSEEN: &str = "
    UPDATE relationship_profiles p SET deleted_at = $4, updated_at = $4,
        change_seq = nextval('relationship_profile_change_seq'), last_change = 'deleted'
    FROM (SELECT pulse_lock_profiles_of($1) AS locked) AS workspace
    WHERE workspace.locked AND p.user_id = $1 AND p.source = 'google' AND p.deleted_at IS NULL
      AND (p.last_seen_job_id IS DISTINCT FROM $2 OR p.last_seen_attempt IS DISTINCT FROM $3)";

/// The user's configuration, locked, while the connection still holds the run's grant (`$2`;
/// NULL when the run found no connection).
const LOCK_CONFIG_OF_GRANT: &str = "
    SELECT c.user_id, c.enabled, c.interval_hours, c.last_sync_at, c.next_sync_at, c.grid_slot_at,
           c.consecutive_failures, c.paused_reason, c.last_error, c.created_at, c.updated_at
    FROM google_contacts_auto_sync_config c
    WHERE c.user_id = $1
      AND ($2::bigint IS NULL OR EXISTS (
          SELECT 1 FROM google_connections g WHERE g.user_id = $1 AND g.generation = $2))
    FOR UPDATE OF c";

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

    async fn end_run_rows(
        &self,
        lease: &JobLease,
        last_page: Option<PageWrite<'_>>,
        mut end: RunEnd,
    ) -> Result<JobCounts, StorageError> {
        let keys = self.keys().clone();
        let mut transaction = self.transaction().await?;
        if let Some(page) = last_page {
            let page_counts = write_page_in(&mut transaction, lease, page).await?;
            end.counts.add(&page_counts);
        }
        let counts = end_in(&mut transaction, &keys, lease, &end).await?;
        transaction.commit().await?;
        Ok(counts)
    }
}

/// Records a run's end inside one transaction; the caller rolls it back on any error, so
/// nothing is written when the lease was lost.
async fn end_in(
    connection: &mut AsyncPgConnection,
    keys: &KeyRing,
    lease: &JobLease,
    end: &RunEnd,
) -> Result<JobCounts, StorageError> {
    let mut counts = end.counts;
    if let RunEnding::Completed {
        full_listing: true, ..
    } = end.ending
    {
        let swept = diesel::sql_query(SWEEP_UNSEEN)
            .bind::<Text, _>(lease.user_id.as_str())
            .bind::<diesel::sql_types::Uuid, _>(lease.job_id)
            .bind::<Integer, _>(lease.attempt)
            .bind::<Timestamptz, _>(end.finished_at)
            .execute(&mut *connection)
            .await?;
        counts.deleted += i64::try_from(swept).unwrap_or(i64::MAX);
    }
    let Some(has_endpoint) = end_job(connection, lease, end, &counts).await? else {
        return Err(StorageError::LeaseLost);
    };
    let mut facts = EndFacts::default();
    if let Some(grant) = end.grant {
        facts.marked_reauth_required =
            write_connection(connection, keys, lease, end, grant).await?;
    }
    if end.changes_schedule() {
        facts.paused = write_schedule(connection, lease, end).await?;
    }
    // No endpoint of the workspace or of every workspace: no event, and no statement for them.
    if !has_endpoint {
        return Ok(counts);
    }
    if matches!(end.ending, RunEnding::Completed { .. }) {
        facts.changes = Some(change_range_in(connection, &lease.user_id).await?);
    }
    let events = events_for_end(lease, end, &counts, facts);
    let changes_until = facts.changes.map(|(_, until)| until.seq());
    write_events_in(
        connection,
        &lease.user_id,
        &events,
        changes_until,
        end.finished_at,
    )
    .await?;
    Ok(counts)
}

/// Whether a webhook endpoint of the job's workspace or of every workspace exists, returned by
/// the job's final update, so an end without one spends no statement on webhooks.
const HAS_WEBHOOK_ENDPOINT: &str = "EXISTS (SELECT 1 FROM webhook_endpoints w \
     WHERE coalesce(w.user_id, '') IN (google_contacts_sync_jobs.user_id, ''))";

/// The fenced update of the job row to its final state: `None` when the attempt no longer holds
/// the job, else whether a webhook endpoint wants the workspace's events.
async fn end_job(
    connection: &mut AsyncPgConnection,
    lease: &JobLease,
    end: &RunEnd,
    counts: &JobCounts,
) -> Result<Option<bool>, StorageError> {
    let has_endpoint = diesel::dsl::sql::<diesel::sql_types::Bool>(HAS_WEBHOOK_ENDPOINT);
    let no_lease = jobs::lease_expires_at.eq(None::<DateTime<Utc>>);
    let status = jobs::status.eq(end.job_status().as_str());
    let error = jobs::error.eq(end.error());
    let target = diesel::update(jobs::table).filter(fenced(lease));
    let changed = match &end.ending {
        RunEnding::Retrying { retry_at, .. } => target
            .set((
                status,
                jobs::run_after.eq(retry_at),
                jobs::worker_id.eq(None::<&str>),
                no_lease,
                error,
                counts_changeset(counts),
            ))
            .returning(has_endpoint)
            .get_result(connection)
            .await
            .optional()?,
        RunEnding::Completed { .. } | RunEnding::Failed { .. } => target
            .set((
                status,
                jobs::finished_at.eq(end.finished_at),
                no_lease,
                error,
                counts_changeset(counts),
            ))
            .returning(has_endpoint)
            .get_result(connection)
            .await
            .optional()?,
    };
    Ok(changed)
}

/// The sync token of a completed run, or `reauth_required` after Google refused the grant;
/// written only while the connection still holds generation `grant`. Returns whether it marked
/// the connection `reauth_required`.
async fn write_connection(
    connection: &mut AsyncPgConnection,
    keys: &KeyRing,
    lease: &JobLease,
    end: &RunEnd,
    grant: i64,
) -> Result<bool, StorageError> {
    let of_grant = connections::table
        .filter(connections::user_id.eq(lease.user_id.as_str()))
        .filter(connections::generation.eq(grant));
    if let RunEnding::Completed {
        sync_token: Some(token),
        ..
    } = &end.ending
    {
        let sealed = keys.seal(token, &sync_token_context(&lease.user_id))?;
        diesel::update(of_grant)
            .set((
                connections::sync_token_ciphertext.eq(&sealed.ciphertext),
                connections::sync_token_nonce.eq(&sealed.nonce),
                connections::sync_token_key_id.eq(&sealed.key_id),
                connections::sync_token_issued_at.eq(end.finished_at),
                connections::updated_at.eq(end.finished_at),
            ))
            .execute(connection)
            .await?;
    } else if end.marks_reauth_required() {
        let marked = diesel::update(
            of_grant.filter(connections::status.eq(ConnectionStatus::Connected.as_str())),
        )
        .set((
            connections::status.eq(ConnectionStatus::ReauthRequired.as_str()),
            connections::updated_at.eq(end.finished_at),
        ))
        .execute(connection)
        .await?;
        return Ok(marked > 0);
    }
    Ok(false)
}

/// Applies the domain's schedule rule for this end to the locked configuration, while the
/// connection still holds the run's grant; a user without a configuration has none written.
/// Returns why and with how many failures the schedule it wrote paused auto-sync, when it did
/// (it was not paused before).
async fn write_schedule(
    connection: &mut AsyncPgConnection,
    lease: &JobLease,
    end: &RunEnd,
) -> Result<Option<(PausedReason, u32)>, StorageError> {
    let Some(row) = diesel::sql_query(LOCK_CONFIG_OF_GRANT)
        .bind::<Text, _>(lease.user_id.as_str())
        .bind::<Nullable<BigInt>, _>(end.grant)
        .get_result::<ConfigRow>(&mut *connection)
        .await
        .optional()?
    else {
        return Ok(None);
    };
    let current = row.into_domain()?;
    let Some(mut next) = end.schedule(&current, lease) else {
        return Ok(None);
    };
    if next == current {
        return Ok(None);
    }
    let paused = match (current.paused_reason, next.paused_reason) {
        (None, Some(reason)) => Some((reason, next.consecutive_failures)),
        _ => None,
    };
    next.updated_at = Some(end.finished_at);
    let write = ConfigWrite::new(&lease.user_id, &next, end.finished_at);
    diesel::update(configs::table.filter(configs::user_id.eq(lease.user_id.as_str())))
        .set(&write)
        .execute(connection)
        .await?;
    Ok(paused)
}

impl SyncRunStore for PgStore {
    async fn apply_page(
        &self,
        lease: &JobLease,
        page: PageWrite<'_>,
    ) -> Result<JobCounts, StoreError> {
        Ok(self.apply_page_rows(lease, page).await?)
    }

    async fn end_run(&self, lease: &JobLease, end: RunEnd) -> Result<JobCounts, StoreError> {
        Ok(self.end_run_rows(lease, None, end).await?)
    }

    async fn end_run_after_page(
        &self,
        lease: &JobLease,
        page: PageWrite<'_>,
        end: RunEnd,
    ) -> Result<JobCounts, StoreError> {
        Ok(self.end_run_rows(lease, Some(page), end).await?)
    }
}
