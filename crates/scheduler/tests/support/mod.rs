//! Shared test helpers: a plain SQL client on a test database and waiting for a condition.
#![allow(dead_code)]

pub mod harness;
pub mod proxy;

use std::future::Future;
use std::time::Duration;

use tokio_postgres::Client;

/// How long a test waits for something that must happen before it gives up and fails.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Shows the code's logs in the test output (filtered by `RUST_LOG`, default `info`); the
/// test harness captures them unless run with `--nocapture`.
pub fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// A plain SQL connection to `url`, for arranging rows and checking them.
pub async fn sql(url: &str) -> Client {
    match pulse_storage::connection::connect_client(url).await {
        Ok(client) => client,
        Err(error) => panic!("cannot connect to the test database: {error}"),
    }
}

/// One `bigint` (or `count(*)`) from a query.
pub async fn count(client: &Client, query: &str) -> i64 {
    match client.query_one(query, &[]).await {
        Ok(row) => row.get(0),
        Err(error) => panic!("query failed: {query}: {error}"),
    }
}

/// Runs statements, failing the test on error.
pub async fn execute(client: &Client, statements: &str) {
    if let Err(error) = client.batch_execute(statements).await {
        panic!("statements failed: {statements}: {error}");
    }
}

/// Checks `condition` every 50 ms until it holds; fails the test after [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually_within(what, PATIENCE, condition).await;
}

/// [`eventually`] with a patience of its own, for rounds that include a job's retry backoff.
pub async fn eventually_within<F, Fut>(what: &str, patience: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + patience;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `probe` every 50 ms until it yields a value; fails the test after [`PATIENCE`].
pub async fn eventually_some<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
