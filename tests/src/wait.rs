//! Waiting for a condition with a bound: the suite never sleeps for a fixed time to "let things
//! settle", it polls until the condition holds and fails after a patience.

use std::future::Future;
use std::time::Duration;

/// How long a test waits for something that must happen before it fails.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// How often a condition is checked.
const POLL: Duration = Duration::from_millis(100);

/// Checks `condition` until it holds; fails the test after [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually_within(what, PATIENCE, condition).await;
}

/// [`eventually`] with a patience of its own (rounds that include a job's retry backoff).
pub async fn eventually_within<F, Fut>(what: &str, patience: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + patience;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {} s waiting for: {what}",
            patience.as_secs()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Polls `probe` until it yields a value; fails the test after `patience`.
pub async fn eventually_some<T, F, Fut>(what: &str, patience: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {} s waiting for: {what}",
            patience.as_secs()
        );
        tokio::time::sleep(POLL).await;
    }
}
