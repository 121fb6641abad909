//! Three schedulers (each with its own pool and Google client, as three replicas would have) on
//! one database over 1,000 due users: every user is synced exactly once in the round.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;

use chrono::TimeDelta;
use pulse_google::fake::generated_account;
use support::eventually;
use support::harness::{Harness, fast_config, now_micros, spawn_scheduler};

const USERS: usize = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_schedulers_sync_each_of_1000_due_users_exactly_once() {
    let harness = Harness::start().await;
    let now = now_micros();
    let users: Vec<String> = (0..USERS).map(|i| format!("replica-user-{i:04}")).collect();
    for (seed, user) in (1_u64..).zip(&users) {
        harness.connect(user, generated_account(4, seed)).await;
        let due_at = now - TimeDelta::seconds(i64::try_from(seed % 600).unwrap());
        harness.set_config(user, true, 24, Some(due_at), None).await;
    }

    let replicas: Vec<_> = ["replica-a", "replica-b", "replica-c"]
        .into_iter()
        .map(|prefix| {
            let (scheduler, _) = harness.scheduler(fast_config(prefix));
            spawn_scheduler(scheduler)
        })
        .collect();
    eventually("every due user is synced", || async {
        harness.jobs_with_status("completed").await >= i64::try_from(USERS).unwrap()
    })
    .await;
    // More scans find nothing: the round is over.
    let (observer, _) = harness.scheduler(fast_config("observer"));
    assert_eq!(observer.scan_once().await.unwrap().enqueued, 0);
    let worker_ids: Vec<String> = replicas.iter().map(|r| r.worker_id.clone()).collect();
    for replica in replicas {
        replica.stop().await;
    }

    let total_jobs = support::count(
        &harness.sql,
        "SELECT count(*) FROM google_contacts_sync_jobs",
    )
    .await;
    assert_eq!(total_jobs, i64::try_from(USERS).unwrap());
    let mut by_worker: BTreeMap<String, usize> = BTreeMap::new();
    for user in &users {
        let jobs = harness.jobs_of(user).await;
        assert_eq!(jobs.len(), 1, "{user} has {jobs:?}");
        let job = &jobs[0];
        assert_eq!(
            (job.trigger.as_str(), job.status.as_str(), job.attempt),
            ("auto", "completed", 1),
            "{user}: {job:?}"
        );
        assert_eq!(
            harness.listings_of(user),
            1,
            "{user} was listed more than once"
        );
        let worker = job.worker_id.clone().unwrap_or_default();
        assert!(
            worker_ids.contains(&worker),
            "{user} was synced by {worker}"
        );
        *by_worker.entry(worker).or_default() += 1;
    }
    println!("syncs per scheduler: {by_worker:?}");
}
