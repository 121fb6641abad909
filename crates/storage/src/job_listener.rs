//! The job listener: a dedicated connection that `LISTEN`s on `pulse_sync_jobs` (notified by the
//! jobs table's trigger whenever queued jobs appear) and wakes this process's worker pools, so a
//! "Sync now" is claimed at once instead of at the next poll. It reconnects with backoff when the
//! connection drops and wakes the pools after each (re)connect, since notifications sent while it
//! was away are lost. Polling stays the fallback: notifications do not pass a transaction pooler.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;
use tokio_util::sync::CancellationToken;

use crate::connection::{ConnectError, DatabaseUrl, SessionSettings};

/// The channel the jobs table's trigger notifies.
pub const JOB_CHANNEL: &str = "pulse_sync_jobs";

/// The `application_name` of the listener's connection (visible in `pg_stat_activity`).
pub const LISTENER_APPLICATION_NAME: &str = "pulse-job-listener";

/// How the listener connects and reconnects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobListenerSettings {
    /// The wait before the first reconnection; it doubles up to `max_backoff`.
    pub first_backoff: Duration,
    /// The longest wait between reconnections.
    pub max_backoff: Duration,
    /// The connect timeout of one attempt.
    pub connect_timeout: Duration,
    /// Idle time before TCP keepalives probe a silent connection.
    pub keepalive_idle: Duration,
}

impl Default for JobListenerSettings {
    fn default() -> Self {
        Self {
            first_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            keepalive_idle: Duration::from_secs(30),
        }
    }
}

/// Why one listening session ended with an error.
#[derive(Debug, thiserror::Error)]
enum ListenError {
    /// The database URL is invalid, or the server refused or could not be reached.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// Listening or reading notifications failed.
    #[error(transparent)]
    Connection(#[from] tokio_postgres::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
}

/// Spawns [`listen_for_jobs`] on the current runtime.
pub fn spawn_job_listener(
    database_url: String,
    wakeup: Arc<Notify>,
    settings: JobListenerSettings,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move { listen_for_jobs(&database_url, &wakeup, &settings, &shutdown).await })
}

/// Listens on [`JOB_CHANNEL`] and wakes `wakeup` on each notification until `shutdown`,
/// reconnecting with a doubling backoff whenever the connection fails or drops.
pub async fn listen_for_jobs(
    database_url: &str,
    wakeup: &Notify,
    settings: &JobListenerSettings,
    shutdown: &CancellationToken,
) {
    let mut backoff = settings.first_backoff;
    loop {
        let mut listened = false;
        match listen_once(database_url, wakeup, settings, shutdown, &mut listened).await {
            Ok(()) => return,
            Err(error) => {
                if listened {
                    backoff = settings.first_backoff;
                }
                tracing::warn!(%error, retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX), channel = JOB_CHANNEL, "[scheduler] job listener lost its connection; reconnecting");
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = backoff.saturating_mul(2).min(settings.max_backoff);
    }
}

/// One connection: `LISTEN`, wake the pools once, then wake them on every notification; `Ok`
/// on shutdown. Sets `listened` once the `LISTEN` succeeded (the reconnection backoff restarts).
async fn listen_once(
    database_url: &str,
    wakeup: &Notify,
    settings: &JobListenerSettings,
    shutdown: &CancellationToken,
    listened: &mut bool,
) -> Result<(), ListenError> {
    let url = DatabaseUrl::parse(database_url)?.adjusted(|config| {
        config
            .connect_timeout(settings.connect_timeout)
            .keepalives(true)
            .keepalives_idle(settings.keepalive_idle);
    });
    let session = SessionSettings {
        application_name: LISTENER_APPLICATION_NAME,
        ..SessionSettings::default()
    };
    let connect = url.connect(&session);
    let (client, mut connection) = tokio::select! {
        () = shutdown.cancelled() => return Ok(()),
        connected = connect => connected?,
    };
    let messages = async {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(_))) => wake_workers(wakeup),
                Some(Ok(_)) => {}
                Some(Err(error)) => return ListenError::Connection(error),
                None => return ListenError::Closed,
            }
        }
    };
    tokio::pin!(messages);
    let statement = format!("LISTEN {JOB_CHANNEL}");
    let listen = client.batch_execute(&statement);
    tokio::select! {
        () = shutdown.cancelled() => return Ok(()),
        error = &mut messages => return Err(error),
        listening = listen => listening?,
    }
    *listened = true;
    tracing::info!(channel = JOB_CHANNEL, "[scheduler] job listener listening");
    wake_workers(wakeup);
    tokio::select! {
        () = shutdown.cancelled() => Ok(()),
        error = &mut messages => Err(error),
    }
}

/// Wakes every pool waiting now, and leaves a permit for one that is busy claiming.
fn wake_workers(wakeup: &Notify) {
    wakeup.notify_waiters();
    wakeup.notify_one();
}
