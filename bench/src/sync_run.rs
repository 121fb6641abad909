//! One manual sync of one user, claimed as a worker claims it and run by the real sync engine;
//! only the engine's run is timed.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use pulse_domain::ports::{
    Clock, ConfigRepository, ConnectionRepository, ContactsSource, JobQueue, JobRepository,
    SyncRunStore,
};
use pulse_domain::sync::{SyncEngine, SyncOutcome};
use pulse_domain::{JobCounts, UserId};

use crate::error::BenchError;

/// The worker id the benchmark's claims carry.
const WORKER: &str = "pulse-bench";

/// A completed sync: how long the engine took and what it counted.
#[derive(Debug, Clone, Copy)]
pub struct TimedSync {
    /// The engine's run, from the first request to the recorded end.
    pub duration: Duration,
    /// The job's final counts.
    pub counts: JobCounts,
}

/// Queues a manual job for `user`, claims it, and times the engine's run; anything but a
/// completed job is an error.
pub async fn timed_sync<St, Src, Clk>(
    engine: &SyncEngine<St, Src, Clk>,
    user: &UserId,
) -> Result<TimedSync, BenchError>
where
    St: SyncRunStore + ConfigRepository + ConnectionRepository + JobQueue + JobRepository,
    Src: ContactsSource,
    Clk: Clock,
{
    let store = engine.store();
    let job = store
        .enqueue_manual(user, Utc::now())
        .await
        .map_err(|error| BenchError::Invalid(format!("cannot queue the sync: {error}")))?;
    let lease = store
        .claim_job(job.id, WORKER, TimeDelta::minutes(10), Utc::now())
        .await?
        .ok_or_else(|| BenchError::Invalid("the queued job could not be claimed".to_owned()))?;
    let started = Instant::now();
    let outcome = engine.run(&lease, &()).await?;
    let duration = started.elapsed();
    match outcome {
        SyncOutcome::Completed(counts) => Ok(TimedSync { duration, counts }),
        other => Err(BenchError::Invalid(format!(
            "the sync did not complete: {other:?}"
        ))),
    }
}

/// Lists every contact of `user`'s account (a full listing) and drops the pages: the time
/// Google's side and the client take, without any write. Returns the time and the people listed.
pub async fn timed_listing<Src: ContactsSource>(
    source: &Src,
    user: &UserId,
    refresh_token: &pulse_domain::Secret,
) -> Result<(Duration, usize), BenchError> {
    use pulse_domain::ports::{ContactListing, ListingMode};
    let started = Instant::now();
    let mut listing = source.open_listing(user, refresh_token, ListingMode::Full);
    let mut people = 0;
    while let Some(page) = listing
        .next_page()
        .await
        .map_err(|error| BenchError::Invalid(format!("the listing failed: {error}")))?
    {
        people += page.people.len();
    }
    Ok((started.elapsed(), people))
}
