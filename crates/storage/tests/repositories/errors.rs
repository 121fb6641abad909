//! Database failures reach the ports as `StoreError::Unavailable` (the API answers 503), and the
//! pool recovers from connections the server killed.

use std::time::Duration;

use diesel_async::SimpleAsyncConnection;
use pulse_domain::ports::{ConfigRepository, StoreError};
use pulse_storage::testing::TestDatabase;
use pulse_storage::{PgStore, PoolSettings};

use crate::support::user;

#[tokio::test]
async fn an_unreachable_database_is_unavailable() {
    let settings = PoolSettings {
        max_size: 1,
        wait_timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(2),
        ..PoolSettings::default()
    };
    let store = PgStore::connect(
        "postgres://postgres@127.0.0.1:1/nowhere",
        settings,
        TestDatabase::key_ring(),
    )
    .expect("pool builds lazily");
    match store.find_config(&user("u")).await {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(store.ping().await.is_err());
}

/// More connections than the test's store can have opened before the kill.
const MAX_DEAD_CONNECTIONS: usize = 8;

#[tokio::test]
async fn killed_connections_are_replaced_and_the_store_keeps_working() {
    let database = TestDatabase::new().await;
    let store = database.store();
    store.ping().await.expect("first ping");
    assert_eq!(store.find_config(&user("u")).await.unwrap(), None);
    let mut killer = database.connect().await;
    killer
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{}' AND pid <> pg_backend_pid()",
            database.name()
        ))
        .await
        .expect("terminate");
    // No liveness query on check-out: each killed connection may fail the one statement that
    // finds it dead (if its client has not seen the close yet); it is dropped, not reused, so
    // the failures stop once the pool's dead connections are gone.
    let mut failures = 0;
    while let Err(error) = store.find_config(&user("u")).await {
        failures += 1;
        assert!(
            failures <= MAX_DEAD_CONNECTIONS,
            "a dead connection was reused: {error:?}"
        );
    }
    assert_eq!(store.find_config(&user("u")).await.unwrap(), None);
    assert!(store.pending_migrations().await.unwrap().is_empty());
}
