//! Graceful shutdown: the pool stops claiming, syncs that finish within the grace period complete
//! on the stopping scheduler, and those that do not are handed back to the queue at once (not
//! after their lease), so another scheduler completes them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use chrono::Utc;
use pulse_domain::ports::JobRepository;
use pulse_google::fake::{Fault, generated_account};
use pulse_scheduler::SchedulerConfig;
use support::eventually;
use support::harness::{Harness, fast_config};

/// A lease no test outlives: a job queued again was released, never rescued.
const LONG_LEASE: Duration = Duration::from_secs(600);

fn stopping_config(prefix: &str, grace: Duration) -> SchedulerConfig {
    SchedulerConfig {
        lease: LONG_LEASE,
        shutdown_grace: grace,
        ..fast_config(prefix)
    }
}

/// Waits until `users`' jobs run on a worker of `prefix` and Google was asked for each.
async fn wait_in_flight(harness: &Harness, users: &[&str], prefix: &str) {
    eventually("the syncs are in flight", || async {
        for user in users {
            let jobs = harness.jobs_of(user).await;
            let running = jobs.first().is_some_and(|job| {
                job.status == "running"
                    && job
                        .worker_id
                        .as_deref()
                        .is_some_and(|w| w.starts_with(prefix))
            });
            if !running || harness.listings_of(user) == 0 {
                return false;
            }
        }
        true
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_releases_unfinished_jobs_and_another_scheduler_completes_them() {
    let harness = Harness::start().await;
    let store = harness.store();
    let users = ["release-user-1", "release-user-2"];
    for (seed, user) in (1_u64..).zip(users) {
        let user_id = harness.connect(user, generated_account(20, seed)).await;
        store.enqueue_manual(&user_id, Utc::now()).await.unwrap();
    }
    harness
        .google
        .inject_fault(Fault::Slow { millis: 20_000 }, 2);

    let stopping = harness.spawn(stopping_config("stopping", Duration::from_millis(300)));
    wait_in_flight(&harness, &users, "stopping-").await;
    stopping.stop().await;

    for user in users {
        let jobs = harness.jobs_of(user).await;
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            jobs[0].status, "queued",
            "{user}: released at once: {jobs:?}"
        );
        assert_eq!(jobs[0].worker_id, None);
    }

    let successor = harness.spawn(stopping_config("successor", Duration::from_secs(5)));
    eventually("the released jobs complete", || async {
        harness.jobs_with_status("completed").await == 2
    })
    .await;
    successor.stop().await;
    for user in users {
        let jobs = harness.jobs_of(user).await;
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].status, "completed");
        assert!(
            jobs[0]
                .worker_id
                .as_deref()
                .is_some_and(|w| w.starts_with("successor-"))
        );
        let (live, rows) = harness.profiles_of(user).await;
        let expected = harness.expected_profiles(user);
        assert_eq!(live, expected);
        assert_eq!(rows, i64::try_from(expected.len()).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_running_sync_finish_within_the_grace_and_claims_nothing_more() {
    let harness = Harness::start().await;
    let store = harness.store();
    let running_user = harness
        .connect("finishing-user", generated_account(20, 3))
        .await;
    let waiting_user = harness
        .connect("waiting-user", generated_account(20, 4))
        .await;
    store
        .enqueue_manual(&running_user, Utc::now())
        .await
        .unwrap();
    harness
        .google
        .inject_fault(Fault::Slow { millis: 1_500 }, 1);

    let stopping = harness.spawn(stopping_config("graceful", Duration::from_secs(60)));
    wait_in_flight(&harness, &["finishing-user"], "graceful-").await;
    stopping.shutdown.cancel();
    store
        .enqueue_manual(&waiting_user, Utc::now())
        .await
        .unwrap();
    stopping.stop().await;

    let finished = harness.jobs_of("finishing-user").await;
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].status, "completed", "finished within the grace");
    assert_eq!(finished[0].attempt, 1);
    assert!(
        finished[0]
            .worker_id
            .as_deref()
            .is_some_and(|w| w.starts_with("graceful-"))
    );
    let waiting = harness.jobs_of("waiting-user").await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        waiting[0].status, "queued",
        "nothing is claimed after shutdown"
    );
    assert_eq!(
        (waiting[0].attempt, waiting[0].worker_id.as_deref()),
        (0, None)
    );
}
