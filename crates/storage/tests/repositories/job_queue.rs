//! `JobQueue`: the due scan, claims, heartbeats, rescue, release, fencing and notifications.

use std::collections::HashSet;
use std::time::Duration;

use chrono::TimeDelta;
use futures::StreamExt;
use pulse_domain::ports::{ConfigRepository, JobQueue, JobRepository, StoreError, SyncRunStore};
use pulse_domain::{
    AutoSyncConfig, JobCounts, JobStatus, JobTrigger, PausedReason, SyncInterval, UserId,
};
use pulse_storage::PgStore;
use pulse_storage::repositories::NOTIFY_CHANNEL;
use pulse_storage::testing::TestDatabase;

use crate::support::{at, claimed, completed, count, draft, execute, failed, now, page, user};

/// Stores an enabled config due at `next` with an interval of `hours`.
async fn schedule(store: &PgStore, user_id: &UserId, hours: i64, next: Option<i64>) {
    let config = AutoSyncConfig {
        enabled: true,
        interval_hours: SyncInterval::from_hours(hours).unwrap(),
        next_sync_at: next.map(at),
        created_at: Some(at(-1000)),
        updated_at: Some(at(-1000)),
        ..AutoSyncConfig::defaults(user_id.clone())
    };
    store
        .modify_config(user_id, chrono::Utc::now(), |_| Some(config))
        .await
        .unwrap();
}

async fn next_sync_at(store: &PgStore, user_id: &UserId) -> Option<chrono::DateTime<chrono::Utc>> {
    store
        .find_config(user_id)
        .await
        .unwrap()
        .expect("config")
        .next_sync_at
}

#[tokio::test]
async fn due_users_get_one_auto_job_and_move_along_their_grid() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let due = user("due");
    let overdue = user("overdue");
    let later = user("later");
    let disabled = user("disabled");
    let paused = user("paused");
    schedule(&store, &due, 1, Some(0)).await;
    // Three intervals (3 hours) and a bit overdue: one job, next slot after now.
    schedule(&store, &overdue, 1, Some(-190)).await;
    schedule(&store, &later, 1, Some(30)).await;
    schedule(&store, &disabled, 1, Some(-10)).await;
    store
        .modify_config(&disabled, chrono::Utc::now(), |c| {
            c.map(|c| AutoSyncConfig {
                enabled: false,
                ..c.clone()
            })
        })
        .await
        .unwrap();
    schedule(&store, &paused, 1, Some(-10)).await;
    store
        .modify_config(&paused, chrono::Utc::now(), |c| {
            c.map(|c| AutoSyncConfig {
                paused_reason: Some(PausedReason::TooManyFailures),
                ..c.clone()
            })
        })
        .await
        .unwrap();

    let jobs = store.enqueue_due(at(0), 500).await.unwrap();
    let users: Vec<_> = jobs.iter().map(|job| job.user_id.clone()).collect();
    assert_eq!(users, vec![due.clone(), overdue.clone()]);
    assert!(jobs.iter().all(|job| job.trigger == JobTrigger::Auto
        && job.status == JobStatus::Queued
        && job.attempt == 0
        && job.created_at == at(0)));
    assert_eq!(next_sync_at(&store, &due).await, Some(at(60)));
    assert_eq!(next_sync_at(&store, &overdue).await, Some(at(50)));
    assert_eq!(next_sync_at(&store, &later).await, Some(at(30)));

    assert!(store.enqueue_due(at(0), 500).await.unwrap().is_empty());
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM google_contacts_sync_jobs"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_user_with_an_active_job_is_not_enqueued_again() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let busy = user("busy");
    schedule(&store, &busy, 1, Some(-5)).await;
    let manual = store.enqueue_manual(&busy, at(-1)).await.unwrap();
    assert!(store.enqueue_due(at(0), 500).await.unwrap().is_empty());
    assert_eq!(next_sync_at(&store, &busy).await, Some(at(-5)));
    assert_eq!(store.earliest_due_at().await.unwrap(), None);

    let lease = store
        .claim_job(manual.id, "w", TimeDelta::minutes(1), at(0))
        .await
        .unwrap()
        .expect("claimed");
    store
        .end_run(&lease, failed("boom", JobCounts::default(), None, None))
        .await
        .unwrap();
    assert_eq!(store.earliest_due_at().await.unwrap(), Some(at(-5)));
    assert_eq!(store.enqueue_due(at(0), 500).await.unwrap().len(), 1);
}

#[tokio::test]
async fn batches_take_the_earliest_due_first() {
    let database = TestDatabase::new().await;
    let store = database.store();
    for (name, minute) in [("c", -10), ("a", -30), ("b", -30), ("d", -1)] {
        schedule(&store, &user(name), 24, Some(minute)).await;
    }
    assert_eq!(store.earliest_due_at().await.unwrap(), Some(at(-30)));
    let first: Vec<_> = store
        .enqueue_due(at(0), 2)
        .await
        .unwrap()
        .into_iter()
        .map(|job| job.user_id)
        .collect();
    assert_eq!(first, vec![user("a"), user("b")]);
    assert_eq!(store.earliest_due_at().await.unwrap(), Some(at(-10)));
    let second: Vec<_> = store
        .enqueue_due(at(0), 2)
        .await
        .unwrap()
        .into_iter()
        .map(|job| job.user_id)
        .collect();
    assert_eq!(second, vec![user("c"), user("d")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_scanners_enqueue_every_due_user_exactly_once() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let mut connection = database.connect().await;
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut connection,
        "INSERT INTO google_contacts_auto_sync_config (user_id, enabled, interval_hours, next_sync_at) \
         SELECT 'user-' || n, true, 24, now() - n * interval '1 second' \
         FROM generate_series(1, 300) AS n",
    )
    .await
    .unwrap();
    let scanners: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut jobs = Vec::new();
                loop {
                    let batch = store.enqueue_due(now(), 25).await.unwrap();
                    if batch.is_empty() {
                        return jobs;
                    }
                    jobs.extend(batch.into_iter().map(|job| job.user_id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for scanner in scanners {
        all.extend(scanner.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), 300);
    assert_eq!(distinct.len(), 300);
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM google_contacts_auto_sync_config WHERE next_sync_at <= now()"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn the_due_scan_uses_the_partial_index() {
    let database = TestDatabase::new().await;
    let mut connection = database.connect().await;
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut connection,
        "INSERT INTO google_contacts_auto_sync_config (user_id, enabled, interval_hours, next_sync_at) \
         SELECT 'user-' || n, n % 100 = 0, 24, now() + n * interval '1 minute' \
         FROM generate_series(1, 20000) AS n; ANALYZE google_contacts_auto_sync_config;",
    )
    .await
    .unwrap();
    #[derive(diesel::QueryableByName)]
    struct Plan {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let plan: Vec<Plan> = diesel_async::RunQueryDsl::load(
        diesel::sql_query(
            "EXPLAIN SELECT c.user_id FROM google_contacts_auto_sync_config c \
             WHERE c.enabled AND c.paused_reason IS NULL AND c.next_sync_at <= now() \
             ORDER BY c.next_sync_at, c.user_id LIMIT 500 FOR UPDATE OF c SKIP LOCKED",
        ),
        &mut connection,
    )
    .await
    .unwrap();
    let text: Vec<_> = plan.into_iter().map(|row| row.line).collect();
    assert!(
        text.iter()
            .any(|line| line.contains("google_contacts_auto_sync_config_due_idx")),
        "{text:#?}"
    );
}

#[tokio::test]
async fn claims_take_the_oldest_runnable_jobs_with_a_lease() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let first = store.enqueue_manual(&user("first"), at(0)).await.unwrap();
    let second = store.enqueue_manual(&user("second"), at(1)).await.unwrap();
    let third = store.enqueue_manual(&user("third"), at(2)).await.unwrap();
    execute(
        &database,
        &format!(
            "UPDATE google_contacts_sync_jobs SET run_after = '{}' WHERE id = '{}'",
            at(100).to_rfc3339(),
            second.id
        ),
    )
    .await
    .unwrap();

    let leases = store
        .claim_jobs("worker-a", 5, TimeDelta::minutes(2), at(10))
        .await
        .unwrap();
    let ids: Vec<_> = leases.iter().map(|lease| lease.job_id).collect();
    assert_eq!(ids, vec![first.id, third.id]);
    let lease = &leases[0];
    assert_eq!(lease.attempt, 1);
    assert_eq!(lease.worker_id, "worker-a");
    assert_eq!(lease.started_at, at(10));
    assert_eq!(lease.user_id, user("first"));
    let job = store.find_job(first.id).await.unwrap().expect("job");
    assert_eq!(job.status, JobStatus::Running);
    assert_eq!(job.lease_expires_at, Some(at(12)));
    assert_eq!(job.worker_id.as_deref(), Some("worker-a"));

    assert!(
        store
            .claim_jobs("worker-b", 5, TimeDelta::minutes(2), at(10))
            .await
            .unwrap()
            .is_empty()
    );
    let later = store
        .claim_jobs("worker-b", 1, TimeDelta::minutes(2), at(100))
        .await
        .unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].job_id, second.id);
}

#[tokio::test]
async fn a_given_job_is_claimed_whatever_its_run_after_but_only_while_queued() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let job = store.enqueue_manual(&user("cli"), at(50)).await.unwrap();
    let lease = store
        .claim_job(job.id, "cli", TimeDelta::minutes(2), at(0))
        .await
        .unwrap()
        .expect("claimed");
    assert_eq!(lease.attempt, 1);
    assert_eq!(
        store
            .claim_job(job.id, "other", TimeDelta::minutes(2), at(0))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .claim_job(uuid::Uuid::new_v4(), "other", TimeDelta::minutes(2), at(0))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_never_return_the_same_job() {
    let database = TestDatabase::new().await;
    let store = database.store();
    for n in 0..60 {
        store
            .enqueue_manual(&user(&format!("u{n}")), at(n))
            .await
            .unwrap();
    }
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut claimed = Vec::new();
                loop {
                    let leases = store
                        .claim_jobs(&format!("worker-{w}"), 3, TimeDelta::minutes(2), now())
                        .await
                        .unwrap();
                    if leases.is_empty() {
                        return claimed;
                    }
                    claimed.extend(leases.into_iter().map(|lease| lease.job_id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 60);
    assert_eq!(distinct.len(), 60);
}

#[tokio::test]
async fn one_heartbeat_extends_every_current_attempt_and_names_the_lost_ones() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let first = claimed(&store, &user("beat-1")).await;
    let second = claimed(&store, &user("beat-2")).await;
    let ended = claimed(&store, &user("beat-3")).await;
    store
        .end_run(&ended, completed(JobCounts::default(), false, None, None))
        .await
        .unwrap();
    let stale = pulse_domain::JobLease {
        attempt: second.attempt + 1,
        ..second.clone()
    };
    let until = now() + TimeDelta::minutes(5);
    let leases = [first.clone(), stale.clone(), ended.clone()];
    let mut lost = store.heartbeat(&leases, until).await.unwrap();
    lost.sort();
    let mut expected = vec![stale.job_id, ended.job_id];
    expected.sort();
    assert_eq!(lost, expected);
    let job = store.find_job(first.job_id).await.unwrap().expect("job");
    assert_eq!(job.lease_expires_at, Some(until));
    let other = store.find_job(second.job_id).await.unwrap().expect("job");
    assert_ne!(
        other.lease_expires_at,
        Some(until),
        "a stale attempt extends nothing"
    );
    assert!(store.heartbeat(&[], until).await.unwrap().is_empty());
}

#[tokio::test]
async fn expired_leases_are_requeued_then_failed_after_the_last_attempt() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let job = store.enqueue_manual(&user("crashy"), at(0)).await.unwrap();
    let healthy = store.enqueue_manual(&user("healthy"), at(0)).await.unwrap();
    store
        .claim_job(healthy.id, "w", TimeDelta::minutes(60), at(0))
        .await
        .unwrap();
    for attempt in 1..=2 {
        let lease = store
            .claim_jobs("w", 1, TimeDelta::minutes(2), at(10 * attempt))
            .await
            .unwrap()
            .pop()
            .expect("claimed");
        assert_eq!(
            (lease.job_id, lease.attempt),
            (job.id, i32::try_from(attempt).unwrap())
        );
        assert_eq!(
            store
                .rescue_expired(at(10 * attempt + 1), 3)
                .await
                .unwrap()
                .requeued,
            Vec::<uuid::Uuid>::new()
        );
        let report = store.rescue_expired(at(10 * attempt + 3), 3).await.unwrap();
        assert_eq!(report.requeued, vec![job.id]);
        assert!(report.failed.is_empty());
        let requeued = store.find_job(job.id).await.unwrap().expect("job");
        assert_eq!(requeued.status, JobStatus::Queued);
        assert_eq!(requeued.worker_id, None);
        assert_eq!(requeued.attempt, i32::try_from(attempt).unwrap());
    }
    let last = store
        .claim_jobs("w", 1, TimeDelta::minutes(2), at(30))
        .await
        .unwrap();
    assert_eq!(last[0].attempt, 3);
    let report = store.rescue_expired(at(33), 3).await.unwrap();
    assert_eq!(report.failed, vec![job.id]);
    let failed = store.find_job(job.id).await.unwrap().expect("job");
    assert_eq!(failed.status, JobStatus::Failed);
    assert_eq!(
        failed.error.as_deref(),
        Some("worker lost its lease 3 times")
    );
    assert_eq!(failed.finished_at, Some(at(33)));
    assert_eq!(
        store
            .find_job(healthy.id)
            .await
            .unwrap()
            .expect("job")
            .status,
        JobStatus::Running
    );
}

#[tokio::test]
async fn a_late_worker_whose_lease_was_rescued_changes_nothing() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("late");
    let job = store.enqueue_manual(&u, at(0)).await.unwrap();
    let old = store
        .claim_job(job.id, "old-worker", TimeDelta::minutes(2), at(0))
        .await
        .unwrap()
        .expect("claimed");
    store.rescue_expired(at(3), 3).await.unwrap();
    let new = store
        .claim_jobs("new-worker", 1, TimeDelta::minutes(2), at(4))
        .await
        .unwrap()
        .pop()
        .expect("reclaimed");
    assert_eq!(new.attempt, old.attempt + 1);

    let profiles = [draft("people/1", "e1", "Ada Lovelace")];
    assert_eq!(
        store.apply_page(&old, page(&profiles, &[])).await,
        Err(StoreError::LeaseLost)
    );
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM relationship_profiles"
        )
        .await,
        0,
        "a fenced-out page writes no profile"
    );
    let run = completed(JobCounts::default(), true, None, None);
    assert_eq!(
        store.end_run(&old, run.clone()).await,
        Err(StoreError::LeaseLost)
    );
    assert_eq!(
        store
            .end_run(&old, failed("late", JobCounts::default(), None, None))
            .await,
        Err(StoreError::LeaseLost)
    );
    assert_eq!(
        store
            .heartbeat(std::slice::from_ref(&old), at(10))
            .await
            .unwrap(),
        vec![old.job_id]
    );
    assert!(!store.release(&old).await.unwrap());
    let current = store.find_job(job.id).await.unwrap().expect("job");
    assert_eq!(current.status, JobStatus::Running);
    assert_eq!(current.worker_id.as_deref(), Some("new-worker"));
    assert_eq!(current.attempt, new.attempt);

    store.end_run(&new, run).await.unwrap();
    assert_eq!(
        store.find_job(job.id).await.unwrap().expect("job").status,
        JobStatus::Completed
    );
}

#[tokio::test]
async fn a_released_job_is_queued_again_for_the_next_worker() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let lease = claimed(&store, &user("shutdown")).await;
    assert!(store.release(&lease).await.unwrap());
    assert!(!store.release(&lease).await.unwrap());
    let job = store.find_job(lease.job_id).await.unwrap().expect("job");
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.worker_id, None);
    assert_eq!(job.lease_expires_at, None);
    let next = store
        .claim_jobs("other", 1, TimeDelta::minutes(2), now())
        .await
        .unwrap();
    assert_eq!(next[0].job_id, lease.job_id);
    assert_eq!(next[0].attempt, lease.attempt + 1);
}

#[tokio::test]
async fn queued_jobs_notify_listeners() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let (client, mut connection) = tokio_postgres::connect(database.url(), tokio_postgres::NoTls)
        .await
        .expect("listener connects");
    let (sender, mut notifications) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let tokio_postgres::AsyncMessage::Notification(note) = message {
                let _ = sender.send(note.payload().to_owned());
            }
        }
    });
    client
        .batch_execute("LISTEN pulse_sync_jobs")
        .await
        .expect("listen");

    let next = async |notifications: &mut tokio::sync::mpsc::UnboundedReceiver<String>| {
        tokio::time::timeout(Duration::from_secs(10), notifications.recv())
            .await
            .expect("notified in time")
            .expect("listener open")
    };
    // A marker sent after the writes under test: notifications arrive in commit order.
    let marker = format!("SELECT pg_notify('{NOTIFY_CHANNEL}', 'marker')");

    let job = store.enqueue_manual(&user("notify"), now()).await.unwrap();
    assert_eq!(next(&mut notifications).await, "");

    let lease = store
        .claim_job(job.id, "w", TimeDelta::minutes(1), now())
        .await
        .unwrap()
        .expect("claimed");
    store
        .heartbeat(std::slice::from_ref(&lease), now() + TimeDelta::minutes(2))
        .await
        .unwrap();
    execute(&database, &marker).await.unwrap();
    assert_eq!(
        next(&mut notifications).await,
        "marker",
        "claims and heartbeats do not notify"
    );

    store.release(&lease).await.unwrap();
    assert_eq!(
        next(&mut notifications).await,
        "",
        "a released job is announced"
    );
    drop(client);
    driver.abort();
}

#[tokio::test]
async fn a_dispatched_retry_hands_the_schedule_back_to_its_grid_slot() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let retrying = user("retrying");
    schedule(&store, &retrying, 24, Some(5)).await;
    store
        .modify_config(&retrying, chrono::Utc::now(), |c| {
            c.map(|c| AutoSyncConfig {
                next_sync_at: Some(at(5)),
                grid_slot_at: Some(at(24 * 60)),
                consecutive_failures: 1,
                ..c.clone()
            })
        })
        .await
        .unwrap();
    let stored = store.find_config(&retrying).await.unwrap().expect("config");
    assert_eq!(stored.grid_slot_at, Some(at(24 * 60)), "the slot is stored");

    let jobs = store.enqueue_due(at(6), 500).await.unwrap();

    assert_eq!(jobs.len(), 1);
    let after = store.find_config(&retrying).await.unwrap().expect("config");
    assert_eq!(
        after.next_sync_at,
        Some(at(24 * 60)),
        "back on the grid, not at retry + 24 h"
    );
    assert_eq!(after.grid_slot_at, None);
}
