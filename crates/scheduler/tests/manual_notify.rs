//! A manual job ("Sync now") is claimed through LISTEN/NOTIFY, not by polling: with the poll
//! interval set to 30 s, a job queued while the pool waits is claimed long before the next poll.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use pulse_domain::ports::JobRepository;
use pulse_google::fake::{Fault, generated_account};
use pulse_scheduler::SchedulerConfig;
use pulse_storage::job_listener::{
    JobListenerSettings, LISTENER_APPLICATION_NAME, spawn_job_listener,
};
use support::harness::{Harness, fast_config, spawn_scheduler};
use support::{PATIENCE, count, eventually, eventually_some};
use tokio_util::sync::CancellationToken;

const POLL: Duration = Duration::from_secs(30);

async fn started_at(harness: &Harness, user: &str) -> Option<DateTime<Utc>> {
    harness
        .sql
        .query_opt(
            "SELECT started_at FROM google_contacts_sync_jobs WHERE user_id = $1",
            &[&user],
        )
        .await
        .unwrap()
        .and_then(|row| row.get(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_job_is_claimed_through_notify_long_before_the_next_poll() {
    let harness = Harness::start().await;
    let store = harness.store();
    let sentinel = harness
        .connect("sentinel-user", generated_account(10, 1))
        .await;
    let user = harness
        .connect("sync-now-user", generated_account(10, 2))
        .await;

    // The pool's wake-ups come only from the listener, a finished task, or the 30 s poll.
    let config = SchedulerConfig {
        tick: POLL,
        startup_delay: POLL,
        poll_interval: POLL,
        rescue_interval: POLL,
        lease: Duration::from_secs(60),
        shutdown_grace: Duration::from_millis(200),
        ..fast_config("notified")
    };
    let (scheduler, wakeup) = harness.scheduler(config);
    let listener_stop = CancellationToken::new();
    let listener = spawn_job_listener(
        harness.database.url().to_owned(),
        Arc::clone(&wakeup),
        JobListenerSettings::default(),
        listener_stop.clone(),
    );
    eventually("the listener listens", || async {
        count(
            &harness.sql,
            &format!(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                 AND application_name = '{LISTENER_APPLICATION_NAME}' AND query ILIKE 'LISTEN%'"
            ),
        )
        .await
            == 1
    })
    .await;
    // The listener's wake-up on connecting is spent before the pool starts.
    let connected = tokio::time::timeout(PATIENCE, wakeup.notified()).await;
    assert!(connected.is_ok());

    // A sentinel job, stalled at Google, is claimed by the pool's first look at the queue and
    // keeps a slot busy: after it, the pool waits for a notification or the next poll.
    harness
        .google
        .inject_fault(Fault::Slow { millis: 120_000 }, 1);
    store.enqueue_manual(&sentinel, Utc::now()).await.unwrap();
    let running = spawn_scheduler(scheduler);
    let sentinel_claimed = eventually_some("the sentinel is claimed", || async {
        started_at(&harness, "sentinel-user").await
    })
    .await;

    let queued = store.enqueue_manual(&user, Utc::now()).await.unwrap();
    let claimed = eventually_some("the manual job is claimed", || async {
        started_at(&harness, "sync-now-user").await
    })
    .await;
    let poll = TimeDelta::from_std(POLL).unwrap();
    assert!(
        claimed < sentinel_claimed + poll,
        "claimed at {claimed}, not before the next poll at {}: the notification woke no one",
        sentinel_claimed + poll
    );
    assert!(claimed >= queued.created_at);
    eventually("the manual job completes", || async {
        harness.jobs_of("sync-now-user").await[0].status == "completed"
    })
    .await;

    running.stop().await;
    listener_stop.cancel();
    listener.await.unwrap();
    let sentinel_jobs = harness.jobs_of("sentinel-user").await;
    assert_eq!(sentinel_jobs[0].status, "queued", "released at shutdown");
}
