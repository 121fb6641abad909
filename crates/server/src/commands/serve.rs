//! `pulse-sync serve`: migrations, then the API with the settings page and the scheduler in one
//! process (or either alone), until SIGTERM or Ctrl-C.

use chrono::Utc;
use clap::Args;
use pulse_storage::PgStore;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::database::Database;
use crate::encryption::{self, KeyFallback};
use crate::error::CliError;
use crate::google::{google_client, google_config};
use crate::http::{self, BoundHttp};
use crate::inventory;
use crate::services::{
    self, PreparedScheduler, SchedulerDefaults, scheduler_config, worker_pool_size,
};
use crate::settings::args::boolish;
use crate::settings::variables::{PULSE_NO_API, PULSE_NO_MIGRATE, PULSE_NO_SCHEDULER};
use crate::settings::{
    DatabaseArgs, EncryptionArgs, GoogleArgs, HttpArgs, SchedulerArgs, SettingsError, WebhookArgs,
};

/// Options of `pulse-sync serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Run only the scheduler: no HTTP server (scale workers apart from the web tier).
    #[arg(long, env = PULSE_NO_API, value_parser = boolish())]
    pub no_api: bool,
    /// Run only the API: no due scans and no sync workers in this process.
    #[arg(long, env = PULSE_NO_SCHEDULER, value_parser = boolish())]
    pub no_scheduler: bool,
    /// Do not apply pending migrations at start.
    #[arg(long, env = PULSE_NO_MIGRATE, value_parser = boolish())]
    pub no_migrate: bool,
    /// Which database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The keys that seal Google grants.
    #[command(flatten)]
    pub encryption: EncryptionArgs,
    /// The HTTP server.
    #[command(flatten)]
    pub http: HttpArgs,
    /// The scheduler.
    #[command(flatten)]
    pub scheduler: SchedulerArgs,
    /// The Google rate limits.
    #[command(flatten)]
    pub google: GoogleArgs,
    /// The webhooks.
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// Runs the server until `shutdown` is cancelled.
pub async fn run(args: ServeArgs, shutdown: CancellationToken) -> Result<(), CliError> {
    if args.no_api && args.no_scheduler {
        return Err(SettingsError::NothingToRun.into());
    }
    let fallback = match args.database.url() {
        Some(_) => KeyFallback::Required,
        None => KeyFallback::KeyFile(&args.database.data_dir),
    };
    let keys = encryption::keys(&args.encryption, fallback)?;
    let scheduler = scheduler_config(&args.scheduler, SchedulerDefaults::SERVE)?;
    let bound = if args.no_api {
        None
    } else {
        Some(http::bind(args.http.bind)?)
    };
    let public_url = http::public_url(
        args.http.public_url.as_ref(),
        bound.as_ref().map_or(args.http.bind, BoundHttp::address),
    )?;
    let google = google_client(&google_config(&args.google, &public_url, &[])?)?;

    let database = Database::open(&args.database).await?;
    let outcome = async {
        tracing::info!(database = %database.describe(), "using the database");
        if args.no_migrate {
            tracing::info!("not applying migrations (--no-migrate)");
        } else {
            database.migrate().await?;
        }
        // The API and the scheduler have pools of their own, so a storm of syncs never leaves
        // a request waiting for a connection.
        let worker_pool = worker_pool_size(args.database.worker_pool_size, args.scheduler.workers);
        let store = database.store(worker_pool, keys.ring.clone())?;
        encryption::warn_about_missing_keys(&store, &keys).await;
        let scheduler = if args.no_scheduler {
            tracing::info!("[scheduler] not started in this process (--no-scheduler): another process must run it");
            None
        } else {
            Some(PreparedScheduler::new(
                &store,
                &google,
                scheduler,
                database.url(),
                args.webhooks.webhook_allow_private,
            )?)
        };
        let server = match bound {
            Some(bound) => {
                let address = bound.address();
                let api_store = database.store(args.database.api_pool_size, keys.ring.clone())?;
                let state = http::api_state(
                    &api_store,
                    &google,
                    http::api_config(
                        &args.http,
                        public_url.clone(),
                        args.webhooks.webhook_allow_private,
                    )?,
                )?;
                let grace = std::time::Duration::from_secs(args.scheduler.shutdown_grace_seconds);
                let server = http::start(bound, state, grace)?;
                log_listening(address, &public_url);
                Some(server)
            }
            None => {
                tracing::info!("no HTTP server in this process (--no-api)");
                None
            }
        };
        if let Some(scheduler) = &scheduler {
            log_scheduler(&store, scheduler).await;
        }
        services::run(server, scheduler, shutdown).await
    }
    .await;
    database.close().await;
    if outcome.is_ok() {
        tracing::info!("pulse-sync stopped");
    }
    outcome
}

/// Where the server listens, as tests and operators read it.
pub fn log_listening(address: std::net::SocketAddr, public_url: &Url) {
    tracing::info!("listening on http://{address}");
    let local = format!("http://{address}/");
    if public_url.as_str() != local {
        tracing::info!(public_url = %public_url, "reached by browsers and Google at {public_url}");
    }
}

/// That the scheduler started, how often it scans, and how many users are due now.
pub async fn log_scheduler(store: &PgStore, scheduler: &PreparedScheduler) {
    let config = scheduler.config();
    tracing::info!(
        "[scheduler] started: scanning for due users every {} s (first scan in {} s), {} workers, {} s leases",
        config.tick.as_secs(),
        config.startup_delay.as_secs(),
        config.workers,
        config.lease.as_secs()
    );
    match inventory::count_due(store, Utc::now()).await {
        Ok(1) => tracing::info!(due = 1, "[scheduler] 1 user is due for a sync now"),
        Ok(due) => tracing::info!(due, "[scheduler] {due} users are due for a sync now"),
        Err(error) => tracing::warn!(%error, "[scheduler] could not count the users due now"),
    }
}
