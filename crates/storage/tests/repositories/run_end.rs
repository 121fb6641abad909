//! `SyncRunStore::end_run`: the job, the sync token, the connection state and the schedule are
//! written in one transaction fenced on the attempt and on the connection's generation.

use chrono::TimeDelta;
use diesel::QueryableByName;
use diesel::sql_types::Integer;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use pulse_domain::ports::{
    ConfigRepository, ConnectionRepository, JobQueue, JobRepository, SyncRunStore,
};
use pulse_domain::{
    AutoSyncConfig, ConnectionStatus, JobCounts, JobStatus, NewConnection, PausedReason, Secret,
    UserId,
};
use pulse_storage::PgStore;
use pulse_storage::testing::TestDatabase;

use crate::support::{at, claimed, completed, grant, now, refused, user};

fn new_connection(u: &UserId, account: &str) -> NewConnection {
    NewConnection {
        user_id: u.clone(),
        google_account_id: Some(account.to_owned()),
        google_email: None,
        refresh_token: Secret::new(format!("1//refresh-{account}")),
        access_token_expires_at: None,
        scopes: Vec::new(),
    }
}

/// A connected user with an enabled schedule whose last run left a failure behind.
async fn connected_user(store: &PgStore, id: &str) -> UserId {
    let u = user(id);
    store
        .save_connection(&new_connection(&u, "account-1"), at(0))
        .await
        .unwrap();
    let config = AutoSyncConfig {
        enabled: true,
        next_sync_at: Some(at(60)),
        consecutive_failures: 2,
        last_error: Some("Google is unavailable right now".to_owned()),
        ..AutoSyncConfig::defaults(u.clone())
    };
    store
        .modify_config(&u, chrono::Utc::now(), |_| Some(config))
        .await
        .unwrap();
    u
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

/// The backend of another session of this database that waits for a lock, once there is one.
pub(crate) async fn waiting_backend(database: &TestDatabase) -> i32 {
    let mut observer = database.connect().await;
    loop {
        let waiting: Option<Pid> = diesel::sql_query(
            "SELECT pid FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND wait_event_type = 'Lock'",
        )
        .get_result(&mut observer)
        .await
        .ok();
        if let Some(waiting) = waiting {
            return waiting.pid;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Runs `ending` (a run's end for `user_id`) while another session holds the user's schedule
/// row, so the end blocks inside its transaction after its earlier writes; terminates the end's
/// database connection there and returns what the end reported.
pub(crate) async fn cut_off_while_the_schedule_is_held<T: Send + 'static>(
    database: &TestDatabase,
    user_id: &str,
    ending: impl Future<Output = T> + Send + 'static,
) -> T {
    let mut holder = database.connect().await;
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM google_contacts_auto_sync_config
             WHERE user_id = '{user_id}' FOR UPDATE"
        ))
        .await
        .unwrap();
    let ending = tokio::spawn(ending);
    let blocked = waiting_backend(database).await;
    let mut killer = database.connect().await;
    killer
        .batch_execute(&format!("SELECT pg_terminate_backend({blocked})"))
        .await
        .unwrap();
    holder.batch_execute("ROLLBACK").await.unwrap();
    ending.await.expect("the end task ran")
}

#[tokio::test]
async fn a_run_end_cut_off_half_way_leaves_everything_as_before_and_the_rescued_job_completes() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected_user(&store, "cut-off").await;
    let lease = claimed(&store, &u).await;
    let job_before = store.find_job(lease.job_id).await.unwrap().expect("job");
    let connection_before = store
        .find_connection(&u)
        .await
        .unwrap()
        .expect("connection");
    let config_before = store.find_config(&u).await.unwrap().expect("config");
    let counts = JobCounts {
        total_contacts: 3,
        synced: 3,
        unchanged: 3,
        ..JobCounts::default()
    };

    let result = cut_off_while_the_schedule_is_held(&database, "cut-off", {
        let store = store.clone();
        let lease = lease.clone();
        let end = completed(counts, false, Some("token-new"), grant(&store, &u).await);
        async move { store.end_run(&lease, end).await }
    })
    .await;
    assert!(
        result.is_err(),
        "the cut-off end reports an error: {result:?}"
    );

    assert_eq!(
        store.find_job(lease.job_id).await.unwrap().expect("job"),
        job_before,
        "the job is as before"
    );
    assert_eq!(
        store
            .find_connection(&u)
            .await
            .unwrap()
            .expect("connection"),
        connection_before,
        "the sync token is as before"
    );
    assert_eq!(
        store.find_config(&u).await.unwrap().expect("config"),
        config_before,
        "the schedule is as before"
    );

    // The lease runs out; the rescuer queues the job again and the next attempt completes it.
    let later = now() + TimeDelta::minutes(10);
    let rescued = store.rescue_expired(later, 3).await.unwrap();
    assert_eq!(rescued.requeued, vec![lease.job_id]);
    let retry = store
        .claim_job(lease.job_id, "rescuer-worker", TimeDelta::minutes(2), later)
        .await
        .unwrap()
        .expect("the rescued job is claimable");
    assert_eq!(retry.attempt, lease.attempt + 1);
    let end = completed(counts, false, Some("token-new"), grant(&store, &u).await);
    let finished_at = end.finished_at;
    assert_eq!(store.end_run(&retry, end).await.unwrap(), counts);

    let job = store.find_job(lease.job_id).await.unwrap().expect("job");
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(job.counts, counts);
    let connection = store
        .find_connection(&u)
        .await
        .unwrap()
        .expect("connection");
    assert_eq!(connection.sync_token, Some(Secret::new("token-new")));
    let config = store.find_config(&u).await.unwrap().expect("config");
    assert_eq!(config.last_sync_at, Some(retry.started_at));
    assert_eq!(config.consecutive_failures, 0);
    assert_eq!(config.last_error, None);
    assert_eq!(config.updated_at, Some(finished_at));
}

#[tokio::test]
async fn a_refused_grant_marks_the_connection_and_pauses_the_schedule_in_the_same_end() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected_user(&store, "refused").await;
    let lease = claimed(&store, &u).await;
    store
        .end_run(&lease, refused(grant(&store, &u).await))
        .await
        .unwrap();
    let job = store.find_job(lease.job_id).await.unwrap().expect("job");
    assert_eq!(job.status, JobStatus::Failed);
    let connection = store
        .find_connection(&u)
        .await
        .unwrap()
        .expect("connection");
    assert_eq!(connection.status, ConnectionStatus::ReauthRequired);
    let config = store.find_config(&u).await.unwrap().expect("config");
    assert_eq!(
        config.paused_reason,
        Some(PausedReason::GoogleReauthRequired)
    );
    assert_eq!(config.consecutive_failures, 3);
}

#[tokio::test]
async fn an_end_of_a_replaced_grant_writes_nothing_to_the_new_grant_or_its_schedule() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected_user(&store, "replaced").await;
    let old_grant = grant(&store, &u).await;

    // A run loaded the first grant; the user reconnects (another account) before it ends.
    let first = claimed(&store, &u).await;
    store
        .save_connection(&new_connection(&u, "account-2"), at(1))
        .await
        .unwrap();
    assert_ne!(grant(&store, &u).await, old_grant);
    let config_before = store.find_config(&u).await.unwrap().expect("config");
    store
        .end_run(
            &first,
            completed(JobCounts::default(), false, Some("old-token"), old_grant),
        )
        .await
        .unwrap();
    let connection = store
        .find_connection(&u)
        .await
        .unwrap()
        .expect("connection");
    assert_eq!(
        connection.sync_token, None,
        "the old account's token stays out"
    );
    assert_eq!(
        store.find_config(&u).await.unwrap().expect("config"),
        config_before
    );

    // Another run of the old grant is refused by Google: the new grant stays connected and the
    // schedule running.
    let second = claimed(&store, &u).await;
    store.end_run(&second, refused(old_grant)).await.unwrap();
    let connection = store
        .find_connection(&u)
        .await
        .unwrap()
        .expect("connection");
    assert_eq!(connection.status, ConnectionStatus::Connected);
    let config = store.find_config(&u).await.unwrap().expect("config");
    assert_eq!(config.paused_reason, None);
    assert_eq!(
        store
            .find_job(second.job_id)
            .await
            .unwrap()
            .expect("job")
            .status,
        JobStatus::Failed,
        "the job itself still ends"
    );
}
