//! The job listener against a real PostgreSQL: a queued job's insert wakes the pools through
//! LISTEN/NOTIFY, the listener reconnects after its backend is terminated, and it stops on shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use pulse_storage::job_listener::{
    JobListenerSettings, LISTENER_APPLICATION_NAME, spawn_job_listener,
};
use pulse_storage::testing::TestDatabase;
use support::proxy::DbProxy;
use support::{PATIENCE, count, eventually, eventually_some, execute, sql};
use tokio::sync::Notify;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;

/// The backend pid of the listener once it is listening.
async fn listening_pid(client: &Client) -> Option<i32> {
    let query = format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = '{LISTENER_APPLICATION_NAME}' AND query ILIKE 'LISTEN%' \
         AND state = 'idle'"
    );
    match client.query_opt(&query, &[]).await {
        Ok(row) => row.map(|row| row.get(0)),
        Err(error) => panic!("pg_stat_activity query failed: {error}"),
    }
}

async fn wait_listening(client: &Client, not: Option<i32>) -> i32 {
    eventually_some("the listener listens", || async move {
        listening_pid(client).await.filter(|pid| Some(*pid) != not)
    })
    .await
}

/// Waits for the wake-up the listener sends on (re)connecting, since jobs queued while it was
/// away sent notifications nobody heard.
async fn expect_connect_wakeup(wakeup: &Notify) {
    let woken = tokio::time::timeout(PATIENCE, wakeup.notified()).await;
    assert!(woken.is_ok(), "the listener wakes the pools on connecting");
}

/// Consumes a wake-up left over from earlier events (the one sent on connecting).
fn forget_earlier_wakeups(wakeup: &Notify) {
    let _ = wakeup.notified().now_or_never();
}

/// Inserts a job with `status` and waits for the next wake-up, failing after the patience.
async fn insert_and_expect_wakeup(client: &Client, wakeup: &Notify, user: &str) {
    forget_earlier_wakeups(wakeup);
    let notified = wakeup.notified();
    tokio::pin!(notified);
    notified.as_mut().enable();
    execute(
        client,
        &format!(
            "INSERT INTO google_contacts_sync_jobs (user_id, trigger) VALUES ('{user}', 'manual')"
        ),
    )
    .await;
    let woken = tokio::time::timeout(PATIENCE, notified).await;
    assert!(
        woken.is_ok(),
        "inserting a queued job did not wake the pools"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_job_wakes_the_pools_and_the_listener_survives_a_terminated_backend() {
    let database = TestDatabase::new().await;
    let client = sql(database.url()).await;
    let wakeup = Arc::new(Notify::new());
    let shutdown = CancellationToken::new();
    let settings = JobListenerSettings {
        first_backoff: Duration::from_millis(50),
        ..JobListenerSettings::default()
    };
    let listener = spawn_job_listener(
        database.url().to_owned(),
        Arc::clone(&wakeup),
        settings,
        shutdown.clone(),
    );

    let first = wait_listening(&client, None).await;
    expect_connect_wakeup(&wakeup).await;
    insert_and_expect_wakeup(&client, &wakeup, "listener-user-1").await;

    let terminated = count(
        &client,
        &format!("SELECT count(*) FROM (SELECT pg_terminate_backend({first})) AS t"),
    )
    .await;
    assert_eq!(terminated, 1);
    let second = wait_listening(&client, Some(first)).await;
    expect_connect_wakeup(&wakeup).await;
    assert_ne!(first, second, "the listener reconnected on a new backend");
    insert_and_expect_wakeup(&client, &wakeup, "listener-user-2").await;

    shutdown.cancel();
    let stopped = tokio::time::timeout(PATIENCE, listener).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "the listener stops on shutdown"
    );
    eventually("the listener's connection closes", || async {
        listening_pid(&client).await.is_none()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_retries_while_the_database_is_unreachable_and_after_its_connection_is_cut() {
    let database = TestDatabase::new().await;
    let client = sql(database.url()).await;
    let proxy = DbProxy::start(database.url()).await;
    proxy.set_open(false);
    let wakeup = Arc::new(Notify::new());
    let shutdown = CancellationToken::new();
    let settings = JobListenerSettings {
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        ..JobListenerSettings::default()
    };
    let listener = spawn_job_listener(
        proxy.url().to_owned(),
        Arc::clone(&wakeup),
        settings,
        shutdown.clone(),
    );
    eventually(
        "the listener retries while the database is unreachable",
        || async { proxy.refused() >= 3 },
    )
    .await;
    assert!(listening_pid(&client).await.is_none());

    proxy.set_open(true);
    let first = wait_listening(&client, None).await;
    expect_connect_wakeup(&wakeup).await;
    insert_and_expect_wakeup(&client, &wakeup, "listener-proxy-1").await;

    let forwarded = proxy.forwarded();
    proxy.cut_all();
    eventually(
        "the listener reconnects after its connection was cut",
        || async { proxy.forwarded() > forwarded },
    )
    .await;
    let second = wait_listening(&client, Some(first)).await;
    expect_connect_wakeup(&wakeup).await;
    assert_ne!(first, second);
    insert_and_expect_wakeup(&client, &wakeup, "listener-proxy-2").await;

    shutdown.cancel();
    let stopped = tokio::time::timeout(PATIENCE, listener).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "the listener stops on shutdown"
    );
}
