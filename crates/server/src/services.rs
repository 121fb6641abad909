//! The long-running parts of `serve` and `demo` run side by side until shutdown: the actix server
//! (API and settings page) and the scheduler fed by the job listener, with the webhook deliveries
//! beside it. On shutdown the server stops
//! accepting and drains its requests while the scheduler stops claiming, lets running syncs finish
//! within the grace period and hands the rest back to the queue.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use pulse_domain::ports::SystemClock;
use pulse_domain::sync::{SyncEngine, SyncSettings};
use pulse_google::GoogleClient;
use pulse_scheduler::{Scheduler, SchedulerConfig};
use pulse_storage::job_listener::{JobListenerSettings, spawn_job_listener};
use pulse_storage::{PgStore, PoolerMode};
use pulse_webhooks::{Deliverer, DeliveryConfig, HttpSender, SenderSettings};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::error::CliError;
use crate::settings::SchedulerArgs;

/// Connections of the scheduler's pool besides one per worker (the scans, the rescuer, the
/// heartbeats of running syncs).
const WORKER_POOL_HEADROOM: usize = 3;

/// The scheduler's pool size: `PULSE_WORKER_POOL_SIZE`, or one per worker and the headroom.
pub fn worker_pool_size(configured: Option<usize>, workers: usize) -> usize {
    configured.unwrap_or(workers + WORKER_POOL_HEADROOM)
}

/// The sync engine every worker of this binary runs.
pub type Engine = SyncEngine<PgStore, GoogleClient, SystemClock>;

/// The scheduler of this binary.
pub type AppScheduler = Scheduler<PgStore, Engine>;

/// The scheduler timings of a command: `serve`'s production ones or the demo's quicker ones.
#[derive(Debug, Clone, Copy)]
pub struct SchedulerDefaults {
    /// `PULSE_SCHEDULER_TICK_SECONDS` when unset.
    pub tick_seconds: u64,
    /// `PULSE_SCHEDULER_STARTUP_DELAY_SECONDS` when unset.
    pub startup_delay_seconds: u64,
}

impl SchedulerDefaults {
    /// `serve`: scan every 30 s, first scan 10 s after start.
    pub const SERVE: Self = Self {
        tick_seconds: 30,
        startup_delay_seconds: 10,
    };
    /// `demo`: scan every 5 s, first scan 1 s after start.
    pub const DEMO: Self = Self {
        tick_seconds: 5,
        startup_delay_seconds: 1,
    };
}

/// The scheduler's settings from the command line, checked.
pub fn scheduler_config(
    args: &SchedulerArgs,
    defaults: SchedulerDefaults,
) -> Result<SchedulerConfig, CliError> {
    let config = SchedulerConfig {
        tick: Duration::from_secs(args.scheduler_tick_seconds.unwrap_or(defaults.tick_seconds)),
        startup_delay: Duration::from_secs(
            args.scheduler_startup_delay_seconds
                .unwrap_or(defaults.startup_delay_seconds),
        ),
        workers: args.workers,
        lease: Duration::from_secs(args.lease_seconds),
        shutdown_grace: Duration::from_secs(args.shutdown_grace_seconds),
        worker_id_prefix: "pulse-sync".to_owned(),
        ..SchedulerConfig::default()
    };
    config.validate()?;
    Ok(config)
}

/// The sync engine over the store and the Google client, with the default retry settings.
pub fn engine(store: &PgStore, google: &GoogleClient) -> Engine {
    SyncEngine::new(
        store.clone(),
        google.clone(),
        SystemClock,
        SyncSettings::default(),
    )
}

/// A scheduler ready to run, with the listener that wakes it on queued jobs and the loop that
/// delivers webhooks.
pub struct PreparedScheduler {
    scheduler: AppScheduler,
    deliverer: Deliverer<PgStore>,
    wakeup: Arc<Notify>,
    database_url: String,
    listen: bool,
}

impl PreparedScheduler {
    /// Builds the scheduler (its settings are checked here, before anything starts);
    /// `webhook_allow_private` lets deliveries reach loopback and private addresses.
    pub fn new(
        store: &PgStore,
        google: &GoogleClient,
        config: SchedulerConfig,
        database_url: &str,
        webhook_allow_private: bool,
    ) -> Result<Self, CliError> {
        let sender = HttpSender::new(SenderSettings {
            allow_private: webhook_allow_private,
            ..SenderSettings::default()
        })?;
        let deliverer = Deliverer::new(
            Arc::new(store.clone()),
            sender,
            Arc::new(SystemClock),
            DeliveryConfig::default(),
        );
        let wakeup = Arc::new(Notify::new());
        let scheduler = Scheduler::new(
            Arc::new(store.clone()),
            Arc::new(engine(store, google)),
            config,
            wakeup.clone(),
        )?;
        // LISTEN needs a session of its own, which a transaction pooler does not keep: there,
        // the workers' polling alone finds queued jobs.
        let listen = store.pool().session().pooler == PoolerMode::Session;
        if !listen {
            tracing::info!(
                poll_ms =
                    u64::try_from(scheduler.config().poll_interval.as_millis()).unwrap_or(u64::MAX),
                "[scheduler] behind a transaction pooler: no LISTEN, workers poll for queued jobs"
            );
        }
        Ok(Self {
            scheduler,
            deliverer,
            wakeup,
            database_url: database_url.to_owned(),
            listen,
        })
    }

    /// The scheduler's settings.
    pub fn config(&self) -> &SchedulerConfig {
        self.scheduler.config()
    }

    /// Runs the job listener and the scheduler until `shutdown`, then drains.
    async fn run(self, shutdown: &CancellationToken) {
        let listener = self.listen.then(|| {
            spawn_job_listener(
                self.database_url,
                self.wakeup,
                JobListenerSettings::default(),
                shutdown.clone(),
            )
        });
        // The delivery loop runs as a task of its own: whatever a receiver answers, a panic there
        // cannot take the scheduler and the API with it (the outbox keeps the events).
        let deliverer = self.deliverer;
        let delivering = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { deliverer.run(shutdown).await }
        });
        self.scheduler.run(shutdown.clone()).await;
        if let Err(error) = delivering.await {
            tracing::error!(%error, "[webhooks] the delivery loop ended abnormally; undelivered events wait in the outbox for the next start");
        }
        if let Some(listener) = listener
            && let Err(error) = listener.await
        {
            tracing::warn!(%error, "the job listener ended abnormally");
        }
    }
}

/// Runs the HTTP server and the scheduler (either may be absent) until `shutdown` is cancelled or
/// the HTTP server fails, then stops both gracefully.
pub async fn run(
    http: Option<Server>,
    scheduler: Option<PreparedScheduler>,
    shutdown: CancellationToken,
) -> Result<(), CliError> {
    let handle = http.as_ref().map(Server::handle);
    let serving = async {
        let Some(server) = http else {
            return Ok(());
        };
        let result = server.await;
        // A server that ended on its own (not by the stop below) takes the process down with it.
        shutdown.cancel();
        result.map_err(CliError::Http)
    };
    let scheduling = async {
        if let Some(scheduler) = scheduler {
            scheduler.run(&shutdown).await;
        }
    };
    let stopping = async {
        shutdown.cancelled().await;
        if let Some(handle) = &handle {
            handle.stop(true).await;
            tracing::info!("HTTP server stopped: in-flight requests finished");
        }
    };
    let (served, (), ()) = tokio::join!(serving, scheduling, stopping);
    served
}
