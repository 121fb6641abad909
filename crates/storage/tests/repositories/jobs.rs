//! `JobRepository`: manual jobs (never two active per user), lookups, and paginated history.

use std::collections::HashSet;

use chrono::TimeDelta;
use pulse_domain::ports::{EnqueueError, JobQueue, JobRepository, StoreError, SyncRunStore};
use pulse_domain::{JobCounts, JobStatus, JobTrigger};
use pulse_storage::testing::TestDatabase;

use crate::support::{at, completed, execute, failed, now, user};

#[tokio::test]
async fn a_manual_job_is_queued_and_a_second_is_refused_naming_the_first() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("manual");
    let job = store.enqueue_manual(&u, at(0)).await.unwrap();
    assert_eq!(job.user_id, u);
    assert_eq!(job.trigger, JobTrigger::Manual);
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.attempt, 0);
    assert_eq!(job.created_at, at(0));
    assert_eq!(job.run_after, at(0));
    assert_eq!(job.counts, JobCounts::default());
    assert_eq!(store.find_job(job.id).await.unwrap(), Some(job.clone()));
    assert_eq!(store.find_job(uuid::Uuid::new_v4()).await.unwrap(), None);

    match store.enqueue_manual(&u, at(1)).await {
        Err(EnqueueError::AlreadyActive { job_id }) => assert_eq!(job_id, job.id),
        other => panic!("expected AlreadyActive, got {other:?}"),
    }
    // Still refused while it runs; another user is not affected.
    store
        .claim_job(job.id, "w", TimeDelta::minutes(1), at(1))
        .await
        .unwrap()
        .expect("claimed");
    assert!(matches!(
        store.enqueue_manual(&u, at(2)).await,
        Err(EnqueueError::AlreadyActive { .. })
    ));
    assert!(store.enqueue_manual(&user("other"), at(2)).await.is_ok());
}

#[tokio::test]
async fn once_the_active_job_ended_a_new_one_can_be_queued() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("again");
    let first = store.enqueue_manual(&u, at(0)).await.unwrap();
    let lease = store
        .claim_job(first.id, "w", TimeDelta::minutes(1), at(0))
        .await
        .unwrap()
        .expect("claimed");
    store
        .end_run(&lease, completed(JobCounts::default(), false, None, None))
        .await
        .unwrap();
    let second = store.enqueue_manual(&u, at(2)).await.unwrap();
    assert_ne!(second.id, first.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sync_now_requests_queue_exactly_one_job() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.enqueue_manual(&user("clicky"), now()).await })
        })
        .collect();
    let mut queued = Vec::new();
    let mut refused = HashSet::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(job) => queued.push(job.id),
            Err(EnqueueError::AlreadyActive { job_id }) => {
                refused.insert(job_id);
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(queued.len(), 1);
    assert!(refused.iter().all(|id| *id == queued[0]));
}

#[tokio::test]
async fn the_database_refuses_a_second_active_job_and_unknown_values() {
    let database = TestDatabase::new().await;
    let insert = |status: &str, trigger: &str| {
        format!(
            "INSERT INTO google_contacts_sync_jobs (user_id, trigger, status, worker_id, \
             lease_expires_at) VALUES ('u', '{trigger}', '{status}', 'w', now())"
        )
    };
    execute(&database, &insert("queued", "manual"))
        .await
        .unwrap();
    let second = execute(&database, &insert("running", "auto"))
        .await
        .expect_err("second");
    assert!(
        second.contains("google_contacts_sync_jobs_one_active_idx"),
        "{second}"
    );
    execute(&database, &insert("completed", "auto"))
        .await
        .unwrap();
    execute(&database, &insert("failed", "manual"))
        .await
        .unwrap();
    let status = execute(&database, &insert("paused", "auto"))
        .await
        .expect_err("status");
    assert!(status.contains("sync_jobs_status_known"), "{status}");
    let trigger = execute(&database, &insert("completed", "cron"))
        .await
        .expect_err("trigger");
    assert!(trigger.contains("sync_jobs_trigger_known"), "{trigger}");
    let no_lease = execute(
        &database,
        "INSERT INTO google_contacts_sync_jobs (user_id, trigger, status) \
         VALUES ('v', 'auto', 'running')",
    )
    .await
    .expect_err("running without a lease");
    assert!(
        no_lease.contains("sync_jobs_running_has_lease"),
        "{no_lease}"
    );
}

#[tokio::test]
async fn a_users_jobs_are_listed_newest_first_page_by_page() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("history");
    let mut created = Vec::new();
    for minute in 0..5 {
        let job = store.enqueue_manual(&u, at(minute)).await.unwrap();
        let lease = store
            .claim_job(job.id, "w", TimeDelta::minutes(1), at(minute))
            .await
            .unwrap()
            .expect("claimed");
        store
            .end_run(&lease, failed("boom", JobCounts::default(), None, None))
            .await
            .unwrap();
        created.push(job.id);
    }
    store
        .enqueue_manual(&user("someone-else"), at(9))
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store.list_jobs(&u, 2, cursor.as_deref()).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|job| job.id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created);
    assert_eq!(pages, 3);

    let exact = store.list_jobs(&u, 5, None).await.unwrap();
    assert_eq!(exact.items.len(), 5);
    assert_eq!(exact.next_cursor, None);
    assert!(matches!(
        store.list_jobs(&u, 2, Some("garbage")).await,
        Err(StoreError::InvalidCursor)
    ));
}

#[tokio::test]
async fn jobs_created_at_the_same_instant_still_page_without_gaps() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("same-instant");
    for _ in 0..4 {
        let job = store.enqueue_manual(&u, at(0)).await.unwrap();
        let lease = store
            .claim_job(job.id, "w", TimeDelta::minutes(1), at(0))
            .await
            .unwrap()
            .expect("claimed");
        store
            .end_run(&lease, failed("boom", JobCounts::default(), None, None))
            .await
            .unwrap();
    }
    let first = store.list_jobs(&u, 3, None).await.unwrap();
    let rest = store
        .list_jobs(&u, 3, first.next_cursor.as_deref())
        .await
        .unwrap();
    let mut ids: Vec<_> = first
        .items
        .iter()
        .chain(&rest.items)
        .map(|j| j.id)
        .collect();
    assert_eq!(ids.len(), 4);
    ids.dedup();
    assert_eq!(ids.len(), 4);
    assert_eq!(rest.next_cursor, None);
}
