//! The database going away while the scheduler runs: its connections killed with
//! `pg_terminate_backend` again and again, and the database unreachable for longer than a lease
//! (a proxy refuses and cuts every connection). The scheduler keeps going, and the round
//! completes: every due user synced, exactly once, with exactly Google's profiles.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use chrono::TimeDelta;
use pulse_domain::sync::SyncSettings;
use pulse_google::fake::{FakeOptions, Fault, generated_account};
use pulse_scheduler::SchedulerConfig;
use support::harness::{Harness, fast_config, now_micros, spawn_scheduler};
use support::proxy::DbProxy;
use support::{count, eventually, eventually_within};

/// A failed attempt waits out the engine's retry backoff (30 s and more) before the next one.
const ROUND_PATIENCE: Duration = Duration::from_secs(240);

/// Attempts are spent by the faults these tests inject, not by the data: allow plenty.
const ATTEMPTS: i32 = 10;

async fn harness_with_due_users(users: &[String]) -> Harness {
    let harness = Harness::start_with(FakeOptions {
        accounts: Vec::new(),
        page_size_cap: 5,
        ..FakeOptions::default()
    })
    .await;
    let due_at = now_micros() - TimeDelta::minutes(1);
    for (seed, user) in (1_u64..).zip(users) {
        harness.connect(user, generated_account(30, seed)).await;
        harness.set_config(user, true, 24, Some(due_at), None).await;
    }
    harness
}

fn resilient_config(prefix: &str) -> SchedulerConfig {
    SchedulerConfig {
        max_attempts: ATTEMPTS,
        ..fast_config(prefix)
    }
}

fn resilient_engine() -> SyncSettings {
    SyncSettings {
        max_attempts: ATTEMPTS,
    }
}

/// Every user has exactly one job, completed, and exactly the profiles Google has.
async fn round_completed_exactly_once(harness: &Harness, users: &[String]) {
    for user in users {
        let jobs = harness.jobs_of(user).await;
        assert_eq!(jobs.len(), 1, "{user}: {jobs:?}");
        assert_eq!(jobs[0].status, "completed", "{user}: {jobs:?}");
        let (live, rows) = harness.profiles_of(user).await;
        let expected = harness.expected_profiles(user);
        assert_eq!(live, expected, "{user}");
        assert_eq!(rows, i64::try_from(expected.len()).unwrap(), "{user}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_database_connections_are_survived_and_the_round_completes() {
    let users: Vec<String> = (0..40).map(|i| format!("terminated-user-{i:02}")).collect();
    let harness = harness_with_due_users(&users).await;
    // The first syncs answer slowly, so the kills land while work is in flight.
    harness.google.inject_fault(Fault::Slow { millis: 300 }, 12);
    let (scheduler, _) = harness.scheduler_at(
        harness.database.url(),
        resilient_config("survivor"),
        resilient_engine(),
    );
    let running = spawn_scheduler(scheduler);

    eventually("syncs are running", || async {
        harness.jobs_with_status("running").await > 0
    })
    .await;
    let mut terminated = 0;
    for _ in 0..5 {
        terminated += count(
            &harness.sql,
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()) AS killed",
        )
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(terminated > 0, "connections were killed");

    let all = i64::try_from(users.len()).unwrap();
    eventually_within("the round completes", ROUND_PATIENCE, || async {
        harness.jobs_with_status("completed").await == all
    })
    .await;
    assert!(!running.handle.is_finished(), "the scheduler keeps running");

    // It keeps going: a user due after the outage is synced too.
    let late = "terminated-user-late".to_owned();
    harness.connect(&late, generated_account(12, 99)).await;
    harness
        .set_config(&late, true, 24, Some(now_micros()), None)
        .await;
    eventually("a user due after the kills is synced", || async {
        harness.jobs_with_status("completed").await == all + 1
    })
    .await;
    running.stop().await;

    let mut everyone = users;
    everyone.push(late);
    round_completed_exactly_once(&harness, &everyone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_waited_out_and_the_round_completes() {
    let users: Vec<String> = (0..20).map(|i| format!("outage-user-{i:02}")).collect();
    let harness = harness_with_due_users(&users).await;
    let proxy = DbProxy::start(harness.database.url()).await;
    // Syncs in flight when the database goes away: slow Google answers.
    harness
        .google
        .inject_fault(Fault::Slow { millis: 1_500 }, 8);
    let (scheduler, _) = harness.scheduler_at(
        proxy.url(),
        resilient_config("outlaster"),
        resilient_engine(),
    );
    let running = spawn_scheduler(scheduler);

    eventually("syncs are running", || async {
        harness.jobs_with_status("running").await > 0
    })
    .await;
    proxy.set_open(false);
    proxy.cut_all();
    eventually(
        "the scheduler keeps trying while the database is away",
        || async { proxy.refused() >= 10 },
    )
    .await;
    // Stay away for longer than a lease: heartbeats fail and leases run out.
    tokio::time::sleep(fast_config("any").lease + Duration::from_secs(1)).await;
    assert!(
        !running.handle.is_finished(),
        "the scheduler survives the outage"
    );
    let forwarded = proxy.forwarded();
    proxy.set_open(true);

    let all = i64::try_from(users.len()).unwrap();
    eventually_within("the round completes", ROUND_PATIENCE, || async {
        harness.jobs_with_status("completed").await == all
    })
    .await;
    assert!(proxy.forwarded() > forwarded, "the scheduler reconnected");
    running.stop().await;
    round_completed_exactly_once(&harness, &users).await;
}
