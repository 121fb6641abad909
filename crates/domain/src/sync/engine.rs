//! `SyncEngine::run`: lists a user's contacts page by page and applies each page in its own
//! transaction but the last, which is written with the run's end (job, sync token, connection
//! state, schedule) in one transaction.

use std::time::Instant;

use chrono::{DateTime, Utc};
use futures_util::future::join;

use crate::connection::ConnectionStatus;
use crate::job::{JobCounts, JobLease};
use crate::ports::{
    Clock, ConnectionRepository, ContactListing, ContactPage, ContactsSource, ListingMode, RunEnd,
    RunEnding, SourceError, StoreError, SyncRunStore,
};
use crate::schedule::SyncFailure;
use crate::secret::Secret;
use crate::sync::messages::{RunError, failure_for};
use crate::sync::page::{MappedPage, map_page};
use crate::sync::retry::job_retry_delay;

/// How the engine retries a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncSettings {
    /// Attempts a job gets before a transient failure fails it for good.
    pub max_attempts: i32,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self { max_attempts: 3 }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    /// The job completed with these counts.
    Completed(JobCounts),
    /// The attempt failed and the job is queued again for `retry_at`.
    Retrying {
        /// When the next attempt may start.
        retry_at: DateTime<Utc>,
        /// What went wrong.
        failure: SyncFailure,
    },
    /// The job failed for good.
    Failed(SyncFailure),
    /// Another attempt owns the job now; this run changed nothing more and stopped.
    LeaseLost,
}

/// The run could not even record its own end (the database is gone); the lease will expire and
/// the rescuer will hand the job to another attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sync could not record its result: {0}")]
pub struct SyncError(#[from] pub StoreError);

/// Told about progress after each applied page (a terminal progress bar, for example).
pub trait SyncProgress: Send + Sync {
    /// Called with the run's counts so far and Google's total when known.
    fn on_page(&self, counts: &JobCounts, total_hint: Option<i64>);
}

impl SyncProgress for () {
    fn on_page(&self, _counts: &JobCounts, _total_hint: Option<i64>) {}
}

/// Runs sync jobs over a store, a contacts source and a clock.
#[derive(Debug, Clone)]
pub struct SyncEngine<St, Src, Clk> {
    store: St,
    source: Src,
    clock: Clk,
    settings: SyncSettings,
}

/// What a listing leaves for the run's end: the counts of the pages applied so far, the sync
/// token, and the last page, which the end applies in its own transaction.
struct Listed {
    counts: JobCounts,
    sync_token: Option<Secret>,
    full_listing: bool,
    last_page: Option<HeldPage>,
}

/// A listed page kept back for the transaction of the run's end.
struct HeldPage {
    page: MappedPage,
    total_items: Option<i64>,
}

impl<St, Src, Clk> SyncEngine<St, Src, Clk>
where
    St: SyncRunStore + ConnectionRepository,
    Src: ContactsSource,
    Clk: Clock,
{
    /// An engine over these ports.
    pub fn new(store: St, source: Src, clock: Clk, settings: SyncSettings) -> Self {
        Self {
            store,
            source,
            clock,
            settings,
        }
    }

    /// The store the engine writes to.
    pub fn store(&self) -> &St {
        &self.store
    }

    /// Runs one attempt of a claimed job to its end and records that end.
    pub async fn run(
        &self,
        lease: &JobLease,
        progress: &impl SyncProgress,
    ) -> Result<SyncOutcome, SyncError> {
        let clock_start = Instant::now();
        tracing::info!("sync started");
        let mut counts = JobCounts::default();
        let mut grant = None;
        match self
            .list_and_apply(lease, &mut grant, &mut counts, progress)
            .await
        {
            Ok(listed) => {
                self.complete(lease, grant, listed, clock_start, progress)
                    .await
            }
            Err(RunError::Store(StoreError::LeaseLost)) => {
                tracing::warn!("sync stopped: lease lost to another attempt");
                Ok(SyncOutcome::LeaseLost)
            }
            Err(error) => self.fail(lease, grant, &error, counts).await,
        }
    }

    /// Loads the connection (its generation goes to `grant`, which fences the run's end) and
    /// applies the incremental listing, or the full one when there is no sync token or it expired.
    async fn list_and_apply(
        &self,
        lease: &JobLease,
        grant: &mut Option<i64>,
        counts: &mut JobCounts,
        progress: &impl SyncProgress,
    ) -> Result<Listed, RunError> {
        let connection = self
            .store
            .find_connection(&lease.user_id)
            .await
            .map_err(RunError::Store)?;
        *grant = connection.as_ref().map(|c| c.generation);
        let usable = connection.filter(|c| c.status == ConnectionStatus::Connected);
        let Some((refresh_token, sync_token)) =
            usable.and_then(|c| Some((c.refresh_token?, c.sync_token)))
        else {
            return Err(RunError::NotConnected);
        };
        if let Some(token) = sync_token {
            let mode = ListingMode::Incremental(token);
            match self
                .apply_listing(lease, &refresh_token, mode, counts, progress)
                .await
            {
                Err(RunError::Source(SourceError::SyncTokenExpired)) => {
                    tracing::info!("sync token expired; listing everything");
                }
                other => return other,
            }
        }
        self.apply_listing(lease, &refresh_token, ListingMode::Full, counts, progress)
            .await
    }

    /// Lists and applies every page but the last, which it returns unapplied with the listing's
    /// sync token, so the run's end writes it in its own transaction.
    async fn apply_listing(
        &self,
        lease: &JobLease,
        refresh_token: &Secret,
        mode: ListingMode,
        counts: &mut JobCounts,
        progress: &impl SyncProgress,
    ) -> Result<Listed, RunError> {
        let full_listing = mode == ListingMode::Full;
        let mut listing = self
            .source
            .open_listing(&lease.user_id, refresh_token, mode);
        let mut next = listing.next_page().await.map_err(RunError::Source)?;
        let mut held: Option<HeldPage> = None;
        let mut sync_token = None;
        let mut page_number = 0_u32;
        while let Some(page) = next {
            if let Some(earlier) = held.take() {
                let applied = self
                    .store
                    .apply_page(lease, earlier.page.write(*counts))
                    .await;
                note_page(page_number, applied, counts, progress, earlier.total_items)?;
            }
            page_number += 1;
            let ContactPage {
                people,
                next_sync_token,
                total_items,
            } = page;
            let mapped = map_page(&people);
            drop(people);
            if next_sync_token.is_some() {
                sync_token = next_sync_token;
                held = Some(HeldPage {
                    page: mapped,
                    total_items,
                });
                next = listing.next_page().await.map_err(RunError::Source)?;
            } else {
                let write = mapped.write(*counts);
                let (applied, fetched) =
                    join(self.store.apply_page(lease, write), listing.next_page()).await;
                note_page(page_number, applied, counts, progress, total_items)?;
                next = fetched.map_err(RunError::Source)?;
            }
        }
        Ok(Listed {
            counts: *counts,
            sync_token,
            full_listing,
            last_page: held,
        })
    }

    async fn complete(
        &self,
        lease: &JobLease,
        grant: Option<i64>,
        listed: Listed,
        clock_start: Instant,
        progress: &impl SyncProgress,
    ) -> Result<SyncOutcome, SyncError> {
        let end = RunEnd {
            counts: listed.counts,
            finished_at: self.clock.now(),
            grant,
            ending: RunEnding::Completed {
                sync_token: listed.sync_token,
                full_listing: listed.full_listing,
            },
        };
        let ended = match &listed.last_page {
            Some(last) => {
                let write = last.page.write(listed.counts);
                self.store.end_run_after_page(lease, write, end).await
            }
            None => self.store.end_run(lease, end).await,
        };
        let counts = match ended {
            Ok(counts) => counts,
            Err(StoreError::LeaseLost) => return Ok(SyncOutcome::LeaseLost),
            Err(other) => {
                return self
                    .fail(lease, grant, &RunError::Store(other), listed.counts)
                    .await;
            }
        };
        if let Some(last) = &listed.last_page {
            progress.on_page(&counts, last.total_items);
        }
        tracing::info!(
            total = counts.total_contacts,
            synced = counts.synced,
            skipped_no_identifier = counts.skipped_no_identifier,
            created = counts.created,
            updated = counts.updated,
            unchanged = counts.unchanged,
            deleted = counts.deleted,
            full = listed.full_listing,
            duration_ms = clock_start.elapsed().as_millis() as u64,
            "sync completed"
        );
        Ok(SyncOutcome::Completed(counts))
    }

    async fn fail(
        &self,
        lease: &JobLease,
        grant: Option<i64>,
        error: &RunError,
        counts: JobCounts,
    ) -> Result<SyncOutcome, SyncError> {
        let (failure, retryable) = failure_for(error);
        let now = self.clock.now();
        let (ending, outcome) = if retryable && lease.attempt < self.settings.max_attempts {
            let retry_at = now + job_retry_delay(lease.attempt, self.clock.jitter());
            let ending = RunEnding::Retrying {
                message: failure.message.clone(),
                retry_at,
            };
            (ending, SyncOutcome::Retrying { retry_at, failure })
        } else {
            let ending = RunEnding::Failed {
                failure: failure.clone(),
                jitter: self.clock.jitter(),
            };
            (ending, SyncOutcome::Failed(failure))
        };
        let end = RunEnd {
            counts,
            finished_at: now,
            grant,
            ending,
        };
        match self.store.end_run(lease, end).await {
            Ok(_) => {}
            Err(StoreError::LeaseLost) => return Ok(SyncOutcome::LeaseLost),
            Err(other) => return Err(SyncError(other)),
        }
        log_failure(&outcome);
        Ok(outcome)
    }
}

/// Adds an applied page's counts to the run's, logs it and tells `progress`.
fn note_page(
    page_number: u32,
    applied: Result<JobCounts, StoreError>,
    counts: &mut JobCounts,
    progress: &impl SyncProgress,
    total_items: Option<i64>,
) -> Result<(), RunError> {
    let page_counts = applied.map_err(RunError::Store)?;
    counts.add(&page_counts);
    tracing::debug!(
        page = page_number,
        people = page_counts.total_contacts,
        fetched = counts.total_contacts,
        created = page_counts.created,
        updated = page_counts.updated,
        deleted = page_counts.deleted,
        "sync page applied"
    );
    progress.on_page(counts, total_items);
    Ok(())
}

fn log_failure(outcome: &SyncOutcome) {
    match outcome {
        SyncOutcome::Retrying { retry_at, failure } => {
            tracing::warn!(retry_at = %retry_at, error = %failure.message, "sync attempt failed; will retry");
        }
        SyncOutcome::Failed(SyncFailure { message, .. }) => {
            tracing::warn!(error = %message, "sync failed");
        }
        SyncOutcome::Completed(_) | SyncOutcome::LeaseLost => {}
    }
}
