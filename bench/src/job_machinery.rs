//! The job machinery benchmark's side of pulse-sync: users with a configuration and a stored Google
//! connection, a queue of their jobs, and the real scheduler (default settings, a given number of
//! workers) working it off
//! with the real sync engine over an in-process source of empty accounts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::{StreamExt, TryStreamExt};
use pulse_domain::ports::{ConnectionRepository, SystemClock};
use pulse_domain::sync::{SyncEngine, SyncSettings};
use pulse_domain::{NewConnection, Secret};
use pulse_google::CONTACTS_READONLY_SCOPE;
use pulse_scheduler::{Scheduler, SchedulerConfig};
use pulse_storage::PgStore;
use tokio::sync::Notify;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;

use crate::counting_runner::CountingRunner;
use crate::database::{count, vacuum};
use crate::empty_source::EmptyAccounts;
use crate::error::BenchError;
use crate::fake_account::user_id;

/// The longest a queue may take to be worked off before the benchmark gives up.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(600);

/// Connections stored at once while preparing.
const PREPARE_CONCURRENCY: usize = 8;

/// The tables a round changes.
const ROUND_TABLES: [&str; 3] = [
    "google_contacts_sync_jobs",
    "google_contacts_auto_sync_config",
    "google_connections",
];

/// The user id of job user number `n` (from 1).
fn job_user(n: i64) -> String {
    format!("jobs-{n}")
}

/// Gives `users` users an enabled configuration (not due) and a stored Google connection.
pub async fn prepare_users(client: &Client, store: &PgStore, users: i64) -> Result<(), BenchError> {
    client
        .execute(
            "INSERT INTO google_contacts_auto_sync_config
                 (user_id, enabled, interval_hours, next_sync_at)
             SELECT 'jobs-' || g, true, 24, now() + interval '1 day'
             FROM generate_series(1, $1::bigint) AS g",
            &[&users],
        )
        .await?;
    futures::stream::iter(1..=users)
        .map(|n| async move {
            let connection = NewConnection {
                user_id: user_id(&job_user(n))?,
                google_account_id: Some(format!("account-{n}")),
                google_email: None,
                refresh_token: Secret::new(format!("refresh-token-{n}")),
                access_token_expires_at: None,
                scopes: vec![CONTACTS_READONLY_SCOPE.to_owned()],
            };
            store.save_connection(&connection, Utc::now()).await?;
            Ok::<(), BenchError>(())
        })
        .buffer_unordered(PREPARE_CONCURRENCY)
        .try_collect::<()>()
        .await
}

/// Puts every user back as before its first sync (no job, no sync token, the config untouched)
/// and queues one `auto` job per user.
pub async fn reset_and_queue(client: &Client, users: i64) -> Result<(), BenchError> {
    client
        .batch_execute(
            "DELETE FROM google_contacts_sync_jobs;
             UPDATE google_connections
             SET sync_token_ciphertext = NULL, sync_token_nonce = NULL, sync_token_key_id = NULL,
                 sync_token_issued_at = NULL;
             UPDATE google_contacts_auto_sync_config
             SET last_sync_at = NULL, next_sync_at = now() + interval '1 day',
                 consecutive_failures = 0, last_error = NULL;",
        )
        .await?;
    vacuum(client, &ROUND_TABLES).await?;
    client
        .execute(
            "INSERT INTO google_contacts_sync_jobs (user_id, trigger, status, created_at, run_after)
             SELECT 'jobs-' || g, 'auto', 'queued', now(), now()
             FROM generate_series(1, $1::bigint) AS g",
            &[&users],
        )
        .await?;
    client
        .batch_execute("ANALYZE google_contacts_sync_jobs")
        .await?;
    Ok(())
}

/// How long working off a queue took, and how much of it the sync runs themselves took.
#[derive(Debug, Clone, Copy)]
pub struct WorkedOff {
    /// From the scheduler's start until the last run ended.
    pub elapsed: Duration,
    /// The mean time of one run inside the sync engine (connection, page, finish, config).
    pub mean_run: Duration,
}

/// Starts a scheduler with the default settings but `workers` workers and times it until every
/// queued job has run; then shuts it down. An error unless every run completed its job.
pub async fn work_off_queue(
    store: &PgStore,
    jobs: usize,
    workers: usize,
) -> Result<WorkedOff, BenchError> {
    let engine = SyncEngine::new(
        store.clone(),
        EmptyAccounts,
        SystemClock,
        SyncSettings::default(),
    );
    let runner = Arc::new(CountingRunner::new(engine, jobs));
    let scheduler = Scheduler::new(
        Arc::new(store.clone()),
        runner.clone(),
        SchedulerConfig {
            workers,
            ..SchedulerConfig::default()
        },
        Arc::new(Notify::new()),
    )?;
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let waited = async {
        let finished = tokio::time::timeout(QUEUE_TIMEOUT, runner.wait()).await;
        let elapsed = started.elapsed();
        shutdown.cancel();
        finished.map(|()| elapsed)
    };
    let ((), waited) = tokio::join!(scheduler.run(shutdown.clone()), waited);
    let elapsed = waited.map_err(|_| {
        BenchError::Invalid(format!(
            "the queue of {jobs} jobs was not worked off within {} s",
            QUEUE_TIMEOUT.as_secs()
        ))
    })?;
    if runner.completed() != jobs {
        return Err(BenchError::Invalid(format!(
            "{} of {jobs} jobs completed",
            runner.completed()
        )));
    }
    let count = u32::try_from(jobs.max(1)).unwrap_or(u32::MAX);
    Ok(WorkedOff {
        elapsed,
        mean_run: runner.time_in_runs() / count,
    })
}

/// Jobs in status `completed`.
pub async fn completed_jobs(client: &Client) -> Result<i64, BenchError> {
    count(
        client,
        "SELECT count(*) FROM google_contacts_sync_jobs WHERE status = 'completed'",
    )
    .await
}
