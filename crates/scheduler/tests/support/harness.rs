//! The world a scheduler test runs in: a fresh PostgreSQL database, the fake Google over loopback,
//! users connected to it, and schedulers (each with its own pool and Google client, like replicas).

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pulse_domain::ports::{ConnectionRepository, SystemClock};
use pulse_domain::sync::{SyncEngine, SyncSettings};
use pulse_domain::{NewConnection, PersonOutcome, UserId, map_person};
use pulse_google::fake::{Dataset, FakeEndpoint, FakeGoogle, FakeOptions};
use pulse_google::{GoogleClient, GoogleConfig, RateLimitConfig, RetryConfig};
use pulse_scheduler::{Scheduler, SchedulerConfig};
use pulse_storage::crypto::{EncryptionKey, KeyRing, generate_key};
use pulse_storage::testing::TestDatabase;
use pulse_storage::{PgStore, PoolSettings, build_pool};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;

use super::sql;

/// The sync engine the schedulers run.
pub type Engine = SyncEngine<PgStore, GoogleClient, SystemClock>;

/// A scheduler over the real store and the real Google client.
pub type TestScheduler = Scheduler<PgStore, Engine>;

/// The OAuth callback the tests' Google client is configured with (never called).
pub const REDIRECT_URL: &str = "http://127.0.0.1:9/oauth/callback";

/// Short timings, so leases expire and scans come around within a test.
pub fn fast_config(prefix: &str) -> SchedulerConfig {
    SchedulerConfig {
        tick: Duration::from_millis(200),
        startup_delay: Duration::ZERO,
        scan_batch: 50,
        workers: 4,
        lease: Duration::from_secs(3),
        heartbeat_every: None,
        poll_interval: Duration::from_millis(200),
        rescue_interval: Duration::from_millis(200),
        max_attempts: 3,
        shutdown_grace: Duration::from_secs(5),
        error_backoff: Duration::from_millis(100),
        max_error_backoff: Duration::from_secs(1),
        worker_id_prefix: prefix.to_owned(),
    }
}

/// A Google client configuration for the fake: no rate limit in the way, quick retries.
pub fn google_config(google_env: impl Fn(&str) -> Option<String>) -> GoogleConfig {
    let mut config = match GoogleConfig::from_lookup(google_env) {
        Ok(config) => config,
        Err(error) => panic!("the fake's Google configuration is invalid: {error}"),
    };
    let plenty = NonZeroU32::new(1_000_000).unwrap_or(NonZeroU32::MAX);
    config.rate_limits = RateLimitConfig {
        project_rpm: plenty,
        project_burst: plenty,
        user_rpm: plenty,
        user_burst: plenty,
    };
    config.retry = RetryConfig {
        max_attempts: 3,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        max_total: Duration::from_secs(30),
    };
    config
}

/// A running scheduler: stop it with `shutdown`, wait for it with `handle`.
pub struct Running {
    /// Cancels the scheduler (graceful shutdown).
    pub shutdown: CancellationToken,
    /// The scheduler's task.
    pub handle: JoinHandle<()>,
    /// The scheduler's worker id.
    pub worker_id: String,
}

impl Running {
    /// Asks for a graceful shutdown and waits until the scheduler returned.
    pub async fn stop(self) {
        self.shutdown.cancel();
        match tokio::time::timeout(super::PATIENCE, self.handle).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => panic!("the scheduler task failed: {error}"),
            Err(_) => panic!("the scheduler did not stop"),
        }
    }
}

/// The test's database, fake Google and key ring.
pub struct Harness {
    /// The test's own database.
    pub database: TestDatabase,
    /// The fake Google.
    pub google: FakeGoogle,
    /// The key every store of the test seals secrets with.
    pub encoded_key: String,
    /// Plain SQL on the test database.
    pub sql: Client,
}

impl Harness {
    /// A fresh database and a fake Google with no accounts.
    pub async fn start() -> Self {
        Self::start_with(FakeOptions {
            accounts: Vec::new(),
            ..FakeOptions::default()
        })
        .await
    }

    /// A fresh database and a fake Google started with `options`.
    pub async fn start_with(options: FakeOptions) -> Self {
        super::init_logs();
        let database = TestDatabase::new().await;
        let google = match FakeGoogle::start(options) {
            Ok(google) => google,
            Err(error) => panic!("the fake Google did not start: {error}"),
        };
        let sql = sql(database.url()).await;
        Self {
            database,
            google,
            encoded_key: generate_key(),
            sql,
        }
    }

    /// The key ring of every store of this test.
    pub fn keys(&self) -> KeyRing {
        match EncryptionKey::from_base64(&self.encoded_key) {
            Ok(key) => KeyRing::new(key),
            Err(error) => panic!("the generated key must load: {error}"),
        }
    }

    /// A store with a pool of its own on the test database.
    pub fn store(&self) -> PgStore {
        self.store_at(self.database.url())
    }

    /// A store with a pool of its own on `url` (the test database, perhaps through a proxy).
    pub fn store_at(&self, url: &str) -> PgStore {
        let settings = PoolSettings {
            max_size: 8,
            wait_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
            ..PoolSettings::default()
        };
        match build_pool(url, settings) {
            Ok(pool) => PgStore::new(pool, self.keys()),
            Err(error) => panic!("cannot build a pool: {error}"),
        }
    }

    /// The environment that points a Google client at the fake.
    pub fn google_env(&self) -> Vec<(&'static str, String)> {
        self.google.env_vars(REDIRECT_URL)
    }

    /// A sync engine over `store` and a Google client of its own.
    pub fn engine_over(&self, store: PgStore, settings: SyncSettings) -> Engine {
        let env = self.google_env();
        let config = google_config(|name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone())
        });
        let client = match GoogleClient::new(&config) {
            Ok(client) => client,
            Err(error) => panic!("cannot build the Google client: {error}"),
        };
        SyncEngine::new(store, client, SystemClock, settings)
    }

    /// A scheduler with its own store, Google client and wake-up.
    pub fn scheduler(&self, config: SchedulerConfig) -> (TestScheduler, Arc<Notify>) {
        self.scheduler_at(self.database.url(), config, SyncSettings::default())
    }

    /// A scheduler whose store connects to `url`, with these engine settings.
    pub fn scheduler_at(
        &self,
        url: &str,
        config: SchedulerConfig,
        settings: SyncSettings,
    ) -> (TestScheduler, Arc<Notify>) {
        let store = self.store_at(url);
        let engine = self.engine_over(store.clone(), settings);
        let wakeup = Arc::new(Notify::new());
        match Scheduler::new(
            Arc::new(store),
            Arc::new(engine),
            config,
            Arc::clone(&wakeup),
        ) {
            Ok(scheduler) => (scheduler, wakeup),
            Err(error) => panic!("invalid scheduler config: {error}"),
        }
    }

    /// Starts a scheduler with its own store and Google client in a task of its own.
    pub fn spawn(&self, config: SchedulerConfig) -> Running {
        let (scheduler, _wakeup) = self.scheduler(config);
        spawn_scheduler(scheduler)
    }

    /// Gives `user` a fake Google account (named after the user) with `dataset`, and stores a
    /// connection to it.
    pub async fn connect(&self, user: &str, dataset: Dataset) -> UserId {
        let user_id = match UserId::parse(user) {
            Ok(user_id) => user_id,
            Err(error) => panic!("invalid user id {user:?}: {error}"),
        };
        self.google.add_account(user, dataset);
        let refresh_token = match self.google.grant(user) {
            Ok(token) => token,
            Err(error) => panic!("cannot grant: {error}"),
        };
        let connection = NewConnection {
            user_id: user_id.clone(),
            google_account_id: Some(user.to_owned()),
            google_email: Some(user.to_owned()),
            refresh_token,
            access_token_expires_at: None,
            scopes: vec![pulse_google::CONTACTS_READONLY_SCOPE.to_owned()],
        };
        if let Err(error) = self.store().save_connection(&connection, Utc::now()).await {
            panic!("cannot save the connection: {error}");
        }
        user_id
    }

    /// Stores an auto-sync config row as given.
    pub async fn set_config(
        &self,
        user: &str,
        enabled: bool,
        interval_hours: i32,
        next_sync_at: Option<DateTime<Utc>>,
        paused_reason: Option<&str>,
    ) {
        let inserted = self
            .sql
            .execute(
                "INSERT INTO google_contacts_auto_sync_config
                     (user_id, enabled, interval_hours, next_sync_at, paused_reason)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &user,
                    &enabled,
                    &interval_hours,
                    &next_sync_at,
                    &paused_reason,
                ],
            )
            .await;
        if let Err(error) = inserted {
            panic!("cannot store the config of {user}: {error}");
        }
    }

    /// A user's `next_sync_at` and `last_sync_at`.
    pub async fn schedule_of(&self, user: &str) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        match self
            .sql
            .query_one(
                "SELECT next_sync_at, last_sync_at FROM google_contacts_auto_sync_config
                 WHERE user_id = $1",
                &[&user],
            )
            .await
        {
            Ok(row) => (row.get(0), row.get(1)),
            Err(error) => panic!("cannot read the schedule of {user}: {error}"),
        }
    }

    /// The jobs of `user`: (trigger, status, attempt, worker id), oldest first.
    pub async fn jobs_of(&self, user: &str) -> Vec<JobRow> {
        match self
            .sql
            .query(
                "SELECT id, trigger, status, attempt, worker_id, error
                 FROM google_contacts_sync_jobs WHERE user_id = $1 ORDER BY created_at, id",
                &[&user],
            )
            .await
        {
            Ok(rows) => rows
                .iter()
                .map(|row| JobRow {
                    id: row.get(0),
                    trigger: row.get(1),
                    status: row.get(2),
                    attempt: row.get(3),
                    worker_id: row.get(4),
                    error: row.get(5),
                })
                .collect(),
            Err(error) => panic!("cannot read the jobs of {user}: {error}"),
        }
    }

    /// How many jobs have `status`.
    pub async fn jobs_with_status(&self, status: &str) -> i64 {
        match self
            .sql
            .query_one(
                "SELECT count(*) FROM google_contacts_sync_jobs WHERE status = $1",
                &[&status],
            )
            .await
        {
            Ok(row) => row.get(0),
            Err(error) => panic!("cannot count jobs: {error}"),
        }
    }

    /// Requests the fake Google answered on `people/me/connections` for `user`'s account.
    pub fn listings_of(&self, user: &str) -> u64 {
        self.google.request_count(user, FakeEndpoint::Connections)
    }

    /// The source ids of `user`'s live profiles, and how many profile rows the user has.
    pub async fn profiles_of(&self, user: &str) -> (BTreeSet<String>, i64) {
        let live = match self
            .sql
            .query(
                "SELECT source_id FROM relationship_profiles
                 WHERE user_id = $1 AND deleted_at IS NULL",
                &[&user],
            )
            .await
        {
            Ok(rows) => rows.iter().map(|row| row.get(0)).collect(),
            Err(error) => panic!("cannot read profiles: {error}"),
        };
        let rows = match self
            .sql
            .query_one(
                "SELECT count(*) FROM relationship_profiles WHERE user_id = $1",
                &[&user],
            )
            .await
        {
            Ok(row) => row.get(0),
            Err(error) => panic!("cannot count profiles: {error}"),
        };
        (live, rows)
    }

    /// The resource names of the fake account's contacts that become profiles.
    pub fn expected_profiles(&self, user: &str) -> BTreeSet<String> {
        let contacts = match self.google.contacts(user) {
            Ok(contacts) => contacts,
            Err(error) => panic!("no fake account {user}: {error}"),
        };
        contacts
            .iter()
            .filter_map(|contact| match map_person(&contact.to_google_person()) {
                PersonOutcome::Profile(draft) => Some(draft.source_id),
                PersonOutcome::SkippedNoIdentifier { .. } | PersonOutcome::Deleted { .. } => None,
            })
            .collect()
    }
}

/// A job row as the tests check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    /// The job id.
    pub id: uuid::Uuid,
    /// `auto` or `manual`.
    pub trigger: String,
    /// The status.
    pub status: String,
    /// The attempt.
    pub attempt: i32,
    /// The worker holding (or that last held) it.
    pub worker_id: Option<String>,
    /// The error of a failed job.
    pub error: Option<String>,
}

/// Runs `scheduler` in a task of its own.
pub fn spawn_scheduler(scheduler: TestScheduler) -> Running {
    let shutdown = CancellationToken::new();
    let worker_id = scheduler.worker_id().to_owned();
    let token = shutdown.clone();
    let handle = tokio::spawn(async move { scheduler.run(token).await });
    Running {
        shutdown,
        handle,
        worker_id,
    }
}

/// Now, at the database's microsecond precision.
pub fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
