//! Shutdown on SIGTERM or Ctrl-C: the first signal cancels a token that every part of the process
//! watches (stop accepting, drain, hand jobs back); a second one, a second or more later, exits at
//! once.

use std::time::{Duration, Instant};

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// The exit status of a process stopped by a second signal.
const FORCED_EXIT_STATUS: i32 = 130;

/// Signals this soon after the first are the same request delivered twice, not a second one.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(1);

/// A token cancelled by the first SIGTERM or SIGINT (Ctrl-C); a later second signal ends the
/// process.
pub fn on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    let mut signals = Signals::install();
    tokio::spawn(async move {
        let first = signals.next().await;
        tracing::info!(
            signal = first,
            "shutting down: no new requests or jobs; finishing what is running (send the signal again to stop at once)"
        );
        cancel.cancel();
        let first_at = Instant::now();
        loop {
            let second = signals.next().await;
            if first_at.elapsed() < DUPLICATE_WINDOW {
                // One stop request delivered twice (`timeout` signals the child, then its group).
                tracing::debug!(signal = second, "ignoring a repeated signal");
                continue;
            }
            tracing::warn!(signal = second, "stopping at once");
            std::process::exit(FORCED_EXIT_STATUS);
        }
    });
    token
}

/// The process's SIGTERM and SIGINT streams (a stream that could not be installed never fires).
struct Signals {
    terminate: Option<Signal>,
    interrupt: Option<Signal>,
}

impl Signals {
    fn install() -> Self {
        let watch = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(stream) => Some(stream),
            Err(error) => {
                tracing::warn!(%error, "cannot watch {name}");
                None
            }
        };
        Self {
            terminate: watch(SignalKind::terminate(), "SIGTERM"),
            interrupt: watch(SignalKind::interrupt(), "SIGINT"),
        }
    }

    /// Waits for the next SIGTERM or SIGINT and names it.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            () = receive(self.terminate.as_mut()) => "SIGTERM",
            () = receive(self.interrupt.as_mut()) => "SIGINT",
        }
    }
}

async fn receive(stream: Option<&mut Signal>) {
    match stream {
        Some(stream) => {
            stream.recv().await;
        }
        None => std::future::pending().await,
    }
}
