//! Two and three `pulse-sync` processes on one database with many users due at once, one
//! process killed with SIGKILL half way through the round. Every user is synced exactly once per
//! round (one job each, one listing each unless a job was rescued from the dead process), no
//! profile is stored twice, no job is left `running`, and a second round finds every user
//! exactly once more.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pulse_google::fake::{FakeContact, FakeOptions, Fault, generated_account};
use pulse_tests::{Deployment, ServerProcess, eventually_within};

/// Users due in the round.
const USERS: usize = 48;
/// Contacts per user.
const CONTACTS: u32 = 45;
/// The fake's page size.
const PAGE: u32 = 10;
/// Listing requests of one full listing: ceil(45 / 10).
const FULL_LISTING_PAGES: u64 = 5;

/// A round of 48 users through slowed pages; rescues wait out a 3 s lease.
const ROUND_PATIENCE: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_one_killed_half_way_sync_every_user_exactly_once() {
    replicas_with_one_killed(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_one_killed_half_way_sync_every_user_exactly_once() {
    replicas_with_one_killed(3).await;
}

async fn replicas_with_one_killed(replicas: usize) {
    let deployment = Deployment::start(FakeOptions {
        accounts: Vec::new(),
        page_size_cap: PAGE,
        ..FakeOptions::default()
    })
    .await;
    let users: Vec<String> = (0..USERS)
        .map(|n| format!("replica{replicas}-user-{n:02}"))
        .collect();
    for (seed, user) in (1_u64..).zip(&users) {
        deployment
            .connect(
                user,
                generated_account(CONTACTS, seed * 31 + replicas as u64),
            )
            .await;
    }
    // Slow pages keep every worker busy, so the kill lands on syncs in flight.
    deployment
        .google
        .inject_fault(Fault::Slow { millis: 150 }, 100_000);
    deployment.make_due(&users).await;

    let config = deployment
        .server_config()
        .with("PULSE_LEASE_SECONDS", "3")
        .with("PULSE_WORKERS", "3");
    let mut servers = Vec::new();
    for n in 0..replicas {
        let config = if n == 0 {
            config.clone()
        } else {
            config.on_new_port()
        };
        servers.push(ServerProcess::serve(&format!("replica {n}"), &config).await);
    }

    let third = i64::try_from(USERS / 3).expect("small");
    eventually_within("a third of the round is done", ROUND_PATIENCE, || async {
        deployment.jobs_with_status("completed").await >= third
    })
    .await;
    let killed_worker_jobs = deployment.jobs_with_status("running").await;
    servers[0].kill9();
    assert!(
        deployment.jobs_with_status("completed").await < i64::try_from(USERS).expect("small"),
        "the kill lands before the round ends"
    );

    let everyone = i64::try_from(USERS).expect("small");
    eventually_within("every user's job completes", ROUND_PATIENCE, || async {
        deployment.jobs_with_status("completed").await == everyone
    })
    .await;
    deployment.google.clear_faults();

    let mut rescued = 0;
    for user in &users {
        let jobs = deployment.jobs_of(user).await;
        assert_eq!(jobs.len(), 1, "{user}: one job per round: {jobs:?}");
        let job = &jobs[0];
        assert_eq!(job.trigger, "auto");
        assert_eq!(job.status, "completed", "{user}: {job:?}");
        let listings = deployment.listings_of(user);
        if job.attempt == 1 {
            assert_eq!(listings, FULL_LISTING_PAGES, "{user}: listed exactly once");
        } else {
            rescued += 1;
            assert_eq!(job.attempt, 2, "{user}: rescued once: {job:?}");
            assert!(
                (FULL_LISTING_PAGES..=2 * FULL_LISTING_PAGES).contains(&listings),
                "{user}: all or part of a listing by the dead process, then one full one: {listings}"
            );
        }
    }
    assert!(
        killed_worker_jobs > 0 && rescued > 0,
        "the killed process had syncs in flight ({killed_worker_jobs} running) and they were \
         rescued ({rescued})"
    );
    deployment.assert_all_jobs_final().await;
    deployment.assert_disk_of_truth().await;

    // A second round on the surviving processes: Google changed for some users; everyone is
    // synced exactly once more, incrementally (one page each).
    for user in users.iter().step_by(4) {
        let first = deployment.google.contacts(user).expect("the account")[0]
            .resource_name
            .clone();
        let contact = FakeContact::named("Second", "Round").with_email("second.round@example.com");
        deployment
            .google
            .edit_contact(user, &first, contact)
            .expect("edited");
    }
    deployment.google.reset_request_counts();
    deployment.make_due(&users).await;
    eventually_within("the second round completes", ROUND_PATIENCE, || async {
        deployment.jobs_with_status("completed").await == 2 * everyone
    })
    .await;
    for user in &users {
        let jobs = deployment.jobs_of(user).await;
        assert_eq!(jobs.len(), 2, "{user}: one job per round: {jobs:?}");
        assert_eq!(jobs[1].status, "completed", "{user}: {jobs:?}");
        assert_eq!(
            deployment.listings_of(user),
            1,
            "{user}: one incremental listing"
        );
    }
    for server in &mut servers[1..] {
        let exit = server.terminate().await;
        assert!(exit.success(), "a graceful stop: {exit}");
    }
    deployment.assert_all_jobs_final().await;
    deployment.assert_disk_of_truth().await;
}
