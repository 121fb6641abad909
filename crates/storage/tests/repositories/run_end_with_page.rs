//! `SyncRunStore::end_run_after_page`: the listing's last page is written in the transaction of
//! the run's end, so the page, the sweep of a full listing, the job, the sync token and the
//! schedule are all written together or not at all.

use chrono::TimeDelta;
use pulse_domain::ports::{
    ConfigRepository, ConnectionRepository, JobQueue, JobRepository, StoreError, SyncRunStore,
};
use pulse_domain::{AutoSyncConfig, JobCounts, JobStatus, NewConnection, Secret, UserId};
use pulse_storage::PgStore;
use pulse_storage::testing::TestDatabase;

use crate::run_end::cut_off_while_the_schedule_is_held;
use crate::support::{claimed, completed, draft, grant, live, now, page, seed_profiles, user};

async fn connected(store: &PgStore, id: &str) -> UserId {
    let u = user(id);
    let connection = NewConnection {
        user_id: u.clone(),
        google_account_id: Some("account".to_owned()),
        google_email: None,
        refresh_token: Secret::new("1//refresh"),
        access_token_expires_at: None,
        scopes: Vec::new(),
    };
    store.save_connection(&connection, now()).await.unwrap();
    store
        .modify_config(&u, now(), |_| {
            Some(AutoSyncConfig {
                enabled: true,
                ..AutoSyncConfig::defaults(u.clone())
            })
        })
        .await
        .unwrap();
    u
}

#[tokio::test]
async fn the_last_page_the_sweep_and_the_end_are_written_together() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected(&store, "folded").await;
    seed_profiles(
        &store,
        &u,
        &[
            draft("people/a", "a1", "A"),
            draft("people/b", "b1", "B"),
            draft("people/c", "c1", "C"),
        ],
    )
    .await;

    // A full listing of two pages: `a` on the first, `b` (edited) on the last; `c` is gone.
    let lease = claimed(&store, &u).await;
    let first = [draft("people/a", "a1", "A")];
    let before_last = store.apply_page(&lease, page(&first, &[])).await.unwrap();
    let last = [draft("people/b", "b2", "B edited")];
    let mut last_page = page(&last, &[]);
    last_page.counts_before = before_last;
    let end = completed(before_last, true, Some("token-2"), grant(&store, &u).await);
    let counts = store
        .end_run_after_page(&lease, last_page, end)
        .await
        .unwrap();

    assert_eq!(
        counts,
        JobCounts {
            total_contacts: 2,
            synced: 2,
            updated: 1,
            unchanged: 1,
            deleted: 1,
            ..JobCounts::default()
        },
        "the first page's counts, the last page's and the sweep's"
    );
    assert_eq!(live(&store, &u).await, ["people/a", "people/b"]);
    let job = store.find_job(lease.job_id).await.unwrap().expect("job");
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(job.counts, counts);
    let connection = store
        .find_connection(&u)
        .await
        .unwrap()
        .expect("connection");
    assert_eq!(connection.sync_token, Some(Secret::new("token-2")));
    let config = store.find_config(&u).await.unwrap().expect("config");
    assert_eq!(config.last_sync_at, Some(lease.started_at));
}

#[tokio::test]
async fn a_lost_lease_writes_nothing_of_the_last_page() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected(&store, "late").await;
    let late = claimed(&store, &u).await;
    let later = now() + TimeDelta::minutes(10);
    store.rescue_expired(later, 3).await.unwrap();
    store
        .claim_job(late.job_id, "other-worker", TimeDelta::minutes(2), later)
        .await
        .unwrap()
        .expect("the rescued job is claimable");

    let profiles = [draft("people/late", "e1", "Late")];
    let end = completed(
        JobCounts::default(),
        true,
        Some("late-token"),
        grant(&store, &u).await,
    );
    assert_eq!(
        store
            .end_run_after_page(&late, page(&profiles, &[]), end)
            .await,
        Err(StoreError::LeaseLost)
    );
    assert!(live(&store, &u).await.is_empty(), "no profile was written");
    let connection = store
        .find_connection(&u)
        .await
        .unwrap()
        .expect("connection");
    assert_eq!(connection.sync_token, None, "no sync token was written");
}

#[tokio::test]
async fn an_end_cut_off_after_its_last_page_leaves_the_page_unwritten() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected(&store, "cut").await;
    let lease = claimed(&store, &u).await;
    let job_before = store.find_job(lease.job_id).await.unwrap().expect("job");

    // The end writes the page, the job and the token, then waits for the schedule's row.
    let end = completed(
        JobCounts::default(),
        true,
        Some("token"),
        grant(&store, &u).await,
    );
    let ended = cut_off_while_the_schedule_is_held(&database, "cut", {
        let store = store.clone();
        let lease = lease.clone();
        async move {
            let profiles = [draft("people/cut", "c1", "Cut")];
            store
                .end_run_after_page(&lease, page(&profiles, &[]), end)
                .await
        }
    })
    .await;
    assert!(ended.is_err());

    assert!(live(&store, &u).await.is_empty(), "the page is not written");
    assert_eq!(
        store.find_job(lease.job_id).await.unwrap().expect("job"),
        job_before,
        "the job is as before"
    );
    let connection = store
        .find_connection(&u)
        .await
        .unwrap()
        .expect("connection");
    assert_eq!(connection.sync_token, None, "the sync token is as before");
}
