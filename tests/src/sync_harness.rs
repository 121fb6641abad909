//! `SyncHarness`: one test database, one fake Google and the sync engine over them.

use chrono::{TimeDelta, Utc};
use pulse_domain::job::{JobLease, SyncJob};
use pulse_domain::ports::{ConnectionRepository, JobQueue, JobRepository, SystemClock};
use pulse_domain::sync::{SyncEngine, SyncOutcome, SyncSettings};
use pulse_domain::{NewConnection, UserId};
use pulse_google::fake::{FakeGoogle, FakeOptions};
use pulse_google::{GoogleClient, RateLimitConfig, RetryConfig};
use pulse_storage::PgStore;
use pulse_storage::testing::TestDatabase;
use std::num::NonZeroU32;
use std::time::Duration;

/// The redirect URL the harness registers (never followed: grants are made directly).
pub const REDIRECT_URL: &str = "http://127.0.0.1:9/callback";

/// Limits high enough that tests measure the sync, not the quota.
pub fn generous_rate_limits() -> RateLimitConfig {
    let many = NonZeroU32::new(1_000_000).unwrap_or(NonZeroU32::MAX);
    RateLimitConfig {
        project_rpm: many,
        project_burst: many,
        user_rpm: many,
        user_burst: many,
    }
}

/// A Google client on the fake that retries quickly and never waits on quotas.
pub fn client_for(google: &FakeGoogle) -> GoogleClient {
    let mut config = google
        .client_config(REDIRECT_URL)
        .expect("a client config for the fake");
    config.retry = RetryConfig {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_total: Duration::from_secs(10),
    };
    config.request_timeout = Duration::from_secs(5);
    config.rate_limits = generous_rate_limits();
    GoogleClient::new(&config).expect("a Google client")
}

/// A database, a fake Google and an engine syncing between them.
pub struct SyncHarness {
    /// The test's own database.
    pub database: TestDatabase,
    /// The store on that database.
    pub store: PgStore,
    /// The fake Google.
    pub google: FakeGoogle,
    /// The engine under test.
    pub engine: SyncEngine<PgStore, GoogleClient, SystemClock>,
}

impl SyncHarness {
    /// Starts a harness over a fake Google with these options; the client retries quickly.
    pub async fn start(options: FakeOptions) -> Self {
        Self::start_with(options, SyncSettings::default()).await
    }

    /// Like [`SyncHarness::start`], with the engine's settings.
    pub async fn start_with(options: FakeOptions, settings: SyncSettings) -> Self {
        let database = TestDatabase::new().await;
        let store = database.store();
        let google = FakeGoogle::start(options).expect("the fake Google starts");
        let client = client_for(&google);
        let engine = SyncEngine::new(store.clone(), client, SystemClock, settings);
        Self {
            database,
            store,
            google,
            engine,
        }
    }

    /// Connects `user` to the fake Google `account` (a grant made without a browser).
    pub async fn connect(&self, user: &str, account: &str) -> UserId {
        let user_id = UserId::parse(user).expect("a valid user id");
        let refresh_token = self.google.grant(account).expect("a grant for the account");
        let connection = NewConnection {
            user_id: user_id.clone(),
            google_account_id: Some(account.to_owned()),
            google_email: None,
            refresh_token,
            access_token_expires_at: None,
            scopes: vec!["https://www.googleapis.com/auth/contacts.readonly".to_owned()],
        };
        self.store
            .save_connection(&connection, Utc::now())
            .await
            .expect("the connection is stored");
        user_id
    }

    /// Queues a manual job for `user` and claims it, as a worker would.
    pub async fn claim_manual(&self, user: &UserId) -> JobLease {
        let job = self
            .store
            .enqueue_manual(user, Utc::now())
            .await
            .expect("a manual job is queued");
        self.store
            .claim_job(job.id, "test-worker", TimeDelta::minutes(2), Utc::now())
            .await
            .expect("the claim runs")
            .expect("the queued job is claimed")
    }

    /// Runs one manual sync of `user` to its end; returns the outcome and the stored job.
    pub async fn sync(&self, user: &UserId) -> (SyncOutcome, SyncJob) {
        let lease = self.claim_manual(user).await;
        self.run(&lease).await
    }

    /// Runs a claimed job's attempt; returns the outcome and the stored job.
    pub async fn run(&self, lease: &JobLease) -> (SyncOutcome, SyncJob) {
        let outcome = self
            .engine
            .run(lease, &())
            .await
            .expect("the run records its end");
        let job = self
            .store
            .find_job(lease.job_id)
            .await
            .expect("the job is read")
            .expect("the job exists");
        (outcome, job)
    }

    /// Syncs until a job ends in a final state (retrying attempts are claimed again at once).
    pub async fn sync_to_end(&self, user: &UserId) -> SyncJob {
        let mut lease = self.claim_manual(user).await;
        loop {
            let (outcome, job) = self.run(&lease).await;
            if !matches!(outcome, SyncOutcome::Retrying { .. }) {
                return job;
            }
            lease = self
                .store
                .claim_job(job.id, "test-worker", TimeDelta::minutes(2), Utc::now())
                .await
                .expect("the claim runs")
                .expect("the retrying job is claimed again");
        }
    }
}
