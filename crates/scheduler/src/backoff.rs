//! Waiting: a doubling backoff after database errors, and sleeps that end early on shutdown.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// A delay that doubles after each consecutive error, up to a cap, and resets after a success.
#[derive(Debug, Clone)]
pub(crate) struct ErrorBackoff {
    first: Duration,
    max: Duration,
    current: Option<Duration>,
}

impl ErrorBackoff {
    /// Starts at `first`, never waits longer than `max`.
    pub(crate) fn new(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max: max.max(first),
            current: None,
        }
    }

    /// The wait after one more error in a row.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = match self.current {
            None => self.first,
            Some(previous) => previous.saturating_mul(2).min(self.max),
        };
        self.current = Some(delay);
        delay
    }

    /// Forgets the errors after a success.
    pub(crate) fn reset(&mut self) {
        self.current = None;
    }
}

/// Sleeps for `duration` unless `token` is cancelled first; returns whether it was cancelled.
pub(crate) async fn sleep_or_cancelled(duration: Duration, token: &CancellationToken) -> bool {
    tokio::select! {
        () = token.cancelled() => true,
        () = tokio::time::sleep(duration) => token.is_cancelled(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut backoff = ErrorBackoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let delays: Vec<_> = (0..4).map(|_| backoff.next_delay()).collect();
        assert_eq!(
            delays,
            [100, 200, 350, 350].map(Duration::from_millis).to_vec()
        );
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_millis(100));
    }
}
