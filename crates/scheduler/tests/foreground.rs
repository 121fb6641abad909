//! The CLI's foreground sync (`run_job_now`): it queues a manual job for the user and runs that
//! very job here, to completion, with the profiles Google has; a user with a job already queued
//! or running is told so instead of getting a second one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Utc;
use pulse_domain::ports::{JobRepository, SystemClock};
use pulse_domain::sync::{SyncOutcome, SyncSettings};
use pulse_google::fake::generated_account;
use pulse_scheduler::{ForegroundError, ForegroundRun, JobEnd, run_job_now};
use support::harness::{Harness, fast_config};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreground_run_syncs_the_users_own_manual_job() {
    let harness = Harness::start().await;
    let store = harness.store();
    let engine = harness.engine_over(store.clone(), SyncSettings::default());
    let user = harness.connect("cli-user", generated_account(30, 5)).await;
    // Another user's older queued job must not be the one run.
    let other = harness.connect("other-user", generated_account(5, 6)).await;
    let other_job = store.enqueue_manual(&other, Utc::now()).await.unwrap();

    let config = fast_config("cli");
    let run = run_job_now(
        &store,
        &engine,
        &SystemClock,
        &user,
        &config,
        &(),
        &CancellationToken::new(),
    )
    .await
    .unwrap();

    let ForegroundRun::Ran { job_id, end } = run else {
        panic!("expected the job to run here, got {run:?}");
    };
    let JobEnd::Finished(SyncOutcome::Completed(counts)) = end else {
        panic!("expected a completed sync, got {end:?}");
    };
    let expected = harness.expected_profiles("cli-user");
    assert_eq!(counts.synced, i64::try_from(expected.len()).unwrap());
    let jobs = harness.jobs_of("cli-user").await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id, job_id);
    assert_eq!(
        (jobs[0].trigger.as_str(), jobs[0].status.as_str()),
        ("manual", "completed")
    );
    assert!(
        jobs[0]
            .worker_id
            .as_deref()
            .is_some_and(|w| w.starts_with("cli-cli-"))
    );
    assert_eq!(harness.profiles_of("cli-user").await.0, expected);

    let untouched = store.find_job(other_job.id).await.unwrap().unwrap();
    assert_eq!(untouched.status, pulse_domain::JobStatus::Queued);
    assert_eq!(harness.listings_of("other-user"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreground_run_refuses_a_second_active_job() {
    let harness = Harness::start().await;
    let store = harness.store();
    let engine = harness.engine_over(store.clone(), SyncSettings::default());
    let user = harness.connect("busy-user", generated_account(5, 7)).await;
    let active = store.enqueue_manual(&user, Utc::now()).await.unwrap();

    let refused = run_job_now(
        &store,
        &engine,
        &SystemClock,
        &user,
        &fast_config("cli"),
        &(),
        &CancellationToken::new(),
    )
    .await;
    assert_eq!(
        refused,
        Err(ForegroundError::AlreadyActive { job_id: active.id })
    );
    assert_eq!(harness.jobs_of("busy-user").await.len(), 1);
    assert_eq!(harness.listings_of("busy-user"), 0);
}
