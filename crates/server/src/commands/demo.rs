//! `pulse-sync demo`: the whole service on this machine with nothing set up. It starts the local
//! PostgreSQL (or uses `DATABASE_URL`), a fake Google in-process with the seed's account and a
//! larger one, connects the workspaces `demo` and `demo-large` to them, creates a key for `demo`,
//! queues a first sync, serves the settings page and runs the scheduler until Ctrl-C or SIGTERM.
//!
//! Its standard output is a contract (tests read it): the line
//! `Settings page: http://HOST:PORT/#key=<key>&workspace=demo`, then the commands to try next beside
//! the running demo (an introduction and two indented lines: `pulse-sync status` as a `cargo run`,
//! and a curl of the demo workspace's settings), then `Fake Google: http://127.0.0.1:PORT`.

mod next_steps;

use std::io::Write;
use std::time::Duration;

use chrono::Utc;
use clap::Args;
use pulse_api::generate_api_key;
use pulse_domain::ports::{
    ApiKeyRepository, ApiKeyScope, ConfigRepository, ConnectionRepository, JobRepository,
};
use pulse_domain::{ConfigUpdate, NewConnection, UserId, apply_update};
use pulse_google::CONTACTS_READONLY_SCOPE;
use pulse_google::fake::{FakeGoogle, FakeOptions, SEED_ACCOUNT, generated_account};
use pulse_storage::PgStore;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::commands::serve::{log_listening, log_scheduler};
use crate::database::Database;
use crate::encryption::{self, KeyFallback};
use crate::error::CliError;
use crate::google::{callback_url, google_client, google_config};
use crate::http;
use crate::services::{
    self, PreparedScheduler, SchedulerDefaults, scheduler_config, worker_pool_size,
};
use crate::settings::args::boolish;
use crate::settings::variables::PULSE_DEMO_SKIP_INITIAL_SYNC;
use crate::settings::{DatabaseArgs, EncryptionArgs, GoogleArgs, HttpArgs, SchedulerArgs};
use next_steps::DemoDatabase;

/// The workspace the printed settings page opens, connected to the seed's account.
pub const DEMO_WORKSPACE: &str = "demo";
/// The workspace connected to the large account.
pub const LARGE_WORKSPACE: &str = "demo-large";
/// The fake Google's larger account.
pub const LARGE_ACCOUNT: &str = "large@example.com";
/// Contacts in the larger account.
pub const LARGE_ACCOUNT_SIZE: u32 = 5_000;
/// The generator seed of the larger account (the same contacts every run).
const LARGE_ACCOUNT_SEED: u64 = 0xDE30_5000;
/// The name of the demo's API key; earlier runs' keys of this name are revoked.
pub const DEMO_KEY_NAME: &str = "demo settings page";

/// Options of `pulse-sync demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Do not queue a first sync of the `demo` workspace at start.
    #[arg(long, env = PULSE_DEMO_SKIP_INITIAL_SYNC, value_parser = boolish())]
    pub skip_initial_sync: bool,
    /// Which database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The keys that seal the demo's grants.
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
}

/// Runs the demo until `shutdown` is cancelled.
pub async fn run(args: DemoArgs, shutdown: CancellationToken) -> Result<(), CliError> {
    let fallback = match args.database.url() {
        Some(_) => KeyFallback::ThisRunOnly,
        None => KeyFallback::KeyFile(&args.database.data_dir),
    };
    let keys = encryption::keys(&args.encryption, fallback)?;
    let scheduler = scheduler_config(&args.scheduler, SchedulerDefaults::DEMO)?;
    let bound = http::bind(args.http.bind)?;
    let address = bound.address();
    let public_url = http::public_url(args.http.public_url.as_ref(), address)?;
    let fake = start_fake_google().await?;
    let google_env = fake.env_vars(&callback_url(&public_url));
    let google = google_client(&google_config(&args.google, &public_url, &google_env)?)?;

    let database = Database::open(&args.database).await?;
    let outcome = async {
        tracing::info!(database = %database.describe(), "using the database");
        database.migrate().await?;
        let worker_pool = worker_pool_size(args.database.worker_pool_size, args.scheduler.workers);
        let store = database.store(worker_pool, keys.ring.clone())?;
        let api_store = database.store(args.database.api_pool_size, keys.ring.clone())?;
        connect_workspaces(&store, &fake).await?;
        let key = demo_key(&store).await?;
        if args.skip_initial_sync {
            tracing::info!("no first sync queued (--skip-initial-sync)");
        } else {
            queue_first_sync(&store).await?;
        }
        // The demo's webhook receivers run on this machine: private addresses are allowed.
        let scheduler = PreparedScheduler::new(&store, &google, scheduler, database.url(), true)?;
        let state = http::api_state(
            &api_store,
            &google,
            http::api_config(&args.http, public_url.clone(), true)?,
        )?;
        let grace = Duration::from_secs(args.scheduler.shutdown_grace_seconds);
        let server = http::start(bound, state, grace)?;
        log_listening(address, &public_url);
        log_scheduler(&store, &scheduler).await;
        let demo_database = if database.is_local() {
            DemoDatabase::Local(database.data_dir())
        } else {
            DemoDatabase::Url
        };
        announce(&public_url, &key, fake.base_url(), demo_database)?;
        services::run(Some(server), Some(scheduler), shutdown).await
    }
    .await;
    database.close().await;
    fake.stop();
    if outcome.is_ok() {
        tracing::info!("demo stopped");
    }
    outcome
}

/// The fake Google with the seed's account and the larger generated one.
async fn start_fake_google() -> Result<FakeGoogle, CliError> {
    let options = FakeOptions::default().with_account(
        LARGE_ACCOUNT,
        generated_account(LARGE_ACCOUNT_SIZE, LARGE_ACCOUNT_SEED),
    );
    let fake = tokio::task::spawn_blocking(move || FakeGoogle::start(options))
        .await
        .map_err(|error| CliError::Task(error.to_string()))??;
    tracing::info!(
        url = fake.base_url(),
        accounts = %format!("{SEED_ACCOUNT} (seed, 428 contacts), {LARGE_ACCOUNT} ({LARGE_ACCOUNT_SIZE} contacts)"),
        "fake Google started"
    );
    Ok(fake)
}

/// Connects `demo` to the seed's account and `demo-large` to the large one with fresh grants
/// (the fake is new each run), and lifts a pause an earlier revoked grant left behind.
async fn connect_workspaces(store: &PgStore, fake: &FakeGoogle) -> Result<(), CliError> {
    for (workspace, account) in [
        (DEMO_WORKSPACE, SEED_ACCOUNT),
        (LARGE_WORKSPACE, LARGE_ACCOUNT),
    ] {
        let user = demo_user(workspace)?;
        let refresh_token = fake.grant(account)?;
        let now = Utc::now();
        let connection = NewConnection {
            user_id: user.clone(),
            google_account_id: None,
            google_email: Some(account.to_owned()),
            refresh_token,
            access_token_expires_at: None,
            scopes: vec![CONTACTS_READONLY_SCOPE.to_owned()],
        };
        store.save_connection(&connection, now).await?;
        let turn_on = ConfigUpdate {
            user_id: user.clone(),
            enabled: true,
            interval_hours: None,
        };
        store
            .modify_config(&user, now, |current| {
                current
                    .filter(|config| config.enabled && config.paused_reason.is_some())
                    .map(|config| apply_update(Some(config), &turn_on, now))
            })
            .await?;
        tracing::info!(workspace, account, "workspace connected to the fake Google");
    }
    Ok(())
}

/// A fresh key for `demo`; the keys earlier runs printed are revoked.
async fn demo_key(store: &PgStore) -> Result<String, CliError> {
    let scope = ApiKeyScope::Workspace(demo_user(DEMO_WORKSPACE)?);
    let now = Utc::now();
    for old in store.list_keys().await? {
        let earlier_demo_key = old.scope == scope
            && old.name.as_deref() == Some(DEMO_KEY_NAME)
            && old.revoked_at.is_none();
        if earlier_demo_key {
            store.revoke_key(old.id, now).await?;
        }
    }
    let key = generate_api_key()?;
    let record = store
        .create_key(&key.hash, &scope, Some(DEMO_KEY_NAME), now)
        .await?;
    tracing::info!(key_id = %record.id, workspace = DEMO_WORKSPACE, "API key created for the settings page");
    Ok(key.plaintext.expose().to_owned())
}

/// Queues a manual sync of `demo`, so the page opens on the seed's account synced.
async fn queue_first_sync(store: &PgStore) -> Result<(), CliError> {
    let user = demo_user(DEMO_WORKSPACE)?;
    match store.enqueue_manual(&user, Utc::now()).await {
        Ok(job) => {
            tracing::info!(workspace = DEMO_WORKSPACE, job = %job.id, "first sync queued");
            Ok(())
        }
        Err(pulse_domain::ports::EnqueueError::AlreadyActive { job_id }) => {
            tracing::info!(workspace = DEMO_WORKSPACE, job = %job_id, "a sync is already queued");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// Prints the lines of the contract on standard output (flushed), and logs the page and the fake
/// without the key.
fn announce(
    public_url: &Url,
    key: &str,
    fake_google: &str,
    database: DemoDatabase<'_>,
) -> Result<(), CliError> {
    let page = settings_page_url(public_url, key);
    let mut printed = vec![
        format!("Settings page: {page}"),
        next_steps::INTRODUCTION.to_owned(),
    ];
    printed.extend(next_steps::lines(public_url, key, DEMO_WORKSPACE, database));
    printed.push(format!("Fake Google: {fake_google}"));
    let mut stdout = std::io::stdout().lock();
    printed
        .iter()
        .try_for_each(|line| writeln!(stdout, "{line}"))
        .and_then(|()| stdout.flush())
        .map_err(CliError::Output)?;
    let shown = settings_page_url(public_url, "[redacted]");
    tracing::info!("Settings page: {shown}");
    tracing::info!("Fake Google: {fake_google}");
    Ok(())
}

/// `http://HOST:PORT/#key=<key>&workspace=demo`: the key in the fragment never reaches a server.
fn settings_page_url(public_url: &Url, key: &str) -> String {
    let base = public_url.as_str().trim_end_matches('/');
    format!("{base}/#key={key}&workspace={DEMO_WORKSPACE}")
}

fn demo_user(workspace: &str) -> Result<UserId, CliError> {
    UserId::parse(workspace).map_err(|error| CliError::Input(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_url_carries_the_key_in_its_fragment() {
        let url = Url::parse("http://127.0.0.1:3003").unwrap();
        assert_eq!(
            settings_page_url(&url, "pulse_abc"),
            "http://127.0.0.1:3003/#key=pulse_abc&workspace=demo"
        );
    }
}
