//! The test harness: a real actix server on a loopback port serving `pulse_api::app` over a fresh
//! PostgreSQL database (the storage crate's per-test databases) and the fake Google, plus a
//! reqwest client and helpers to make keys, jobs and profiles.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::HttpServer;
use actix_web::dev::ServerHandle;
use chrono::{TimeDelta, Utc};
use futures::future::BoxFuture;
use pulse_api::{
    AllowedOrigin, ApiConfig, ApiState, AuthFailureLimit, ErrorBody, NotReady, ReadinessProbe,
    generate_api_key, install_metrics_recorder,
};
use pulse_domain::ports::{
    ApiKeyRepository, ApiKeyScope, JobQueue, JobRepository, RunEnd, RunEnding, SyncRunStore,
};
use pulse_domain::schedule::{FailureKind, SyncFailure};
use pulse_domain::{JobCounts, JobLease, SyncJob, UserId};
use pulse_google::GoogleClient;
use pulse_google::fake::{FakeGoogle, FakeOptions};
use pulse_storage::testing::TestDatabase;
use pulse_storage::{PgStore, PoolSettings};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use url::Url;

/// The callback path the fake Google redirects to.
pub const CALLBACK_PATH: &str = "/api/logos-vision/google/callback";

/// Which database the server gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// A fresh migrated database.
    Migrated,
    /// A fresh database without the migrations.
    Unmigrated,
    /// An address where no database listens.
    Unreachable,
}

/// How to start the server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Allowed CORS origins.
    pub cors_origins: Vec<String>,
    /// `PULSE_ADMIN_API_KEY`.
    pub admin_key: Option<String>,
    /// Failed-auth limit.
    pub auth_failures: AuthFailureLimit,
    /// Which database.
    pub database: DatabaseKind,
    /// How long a started consent stays valid.
    pub oauth_state_ttl: Duration,
    /// `PULSE_PUBLIC_URL` when it is not the loopback address the server listens on.
    pub public_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            admin_key: None,
            auth_failures: AuthFailureLimit {
                max_failures: 1_000,
                window: Duration::from_secs(60),
            },
            database: DatabaseKind::Migrated,
            oauth_state_ttl: Duration::from_secs(600),
            public_url: None,
        }
    }
}

/// `/readyz` over the storage crate: the database answers and no migration is pending.
struct StoreReadiness(PgStore);

impl ReadinessProbe for StoreReadiness {
    fn check(&self) -> BoxFuture<'_, Result<(), NotReady>> {
        Box::pin(async move {
            let pending = self.0.pending_migrations().await.map_err(|error| {
                NotReady::DatabaseUnavailable {
                    detail: error.to_string(),
                }
            })?;
            if pending.is_empty() {
                Ok(())
            } else {
                Err(NotReady::MigrationsNotCurrent {
                    detail: pending.join(", "),
                })
            }
        })
    }
}

/// A running API with its database and fake Google; dropping it stops the server.
pub struct TestApi {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A client that does not follow redirects.
    pub http: reqwest::Client,
    /// The server's store (same pool and encryption key).
    pub store: PgStore,
    /// The fake Google the server talks to.
    pub google: FakeGoogle,
    /// The database (kept alive for the test), when one was made.
    pub database: Option<TestDatabase>,
    server: ServerHandle,
}

impl TestApi {
    /// A server with the default settings on a fresh migrated database.
    pub async fn start() -> Self {
        Self::start_with(Settings::default()).await
    }

    /// A server with `settings`.
    pub async fn start_with(settings: Settings) -> Self {
        let (database, store) = match settings.database {
            DatabaseKind::Migrated => {
                let database = TestDatabase::new().await;
                let store = database.store();
                (Some(database), store)
            }
            DatabaseKind::Unmigrated => {
                let database = TestDatabase::create_empty()
                    .await
                    .expect("an empty test database");
                let store = database.store();
                (Some(database), store)
            }
            DatabaseKind::Unreachable => {
                let pool = PoolSettings {
                    max_size: 2,
                    wait_timeout: Duration::from_secs(2),
                    connect_timeout: Duration::from_secs(2),
                    ..PoolSettings::default()
                };
                let store = PgStore::connect(
                    "postgres://postgres@127.0.0.1:1/nowhere",
                    pool,
                    TestDatabase::key_ring(),
                )
                .expect("a lazy pool");
                (None, store)
            }
        };
        Self::serve_store(settings, database, store).await
    }

    /// A second server on this server's database, with a store (pool and key cache) of its
    /// own, as another replica of the service would run.
    pub async fn beside(&self) -> Self {
        let database = self.database.as_ref().expect("a server with a database");
        let store = PgStore::new(database.pool(), TestDatabase::key_ring());
        Self::serve_store(Settings::default(), None, store).await
    }

    /// Serves the API over `store`, keeping `database` alive with the server.
    async fn serve_store(
        settings: Settings,
        database: Option<TestDatabase>,
        store: PgStore,
    ) -> Self {
        let google = FakeGoogle::start(FakeOptions::default()).expect("the fake Google starts");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let address = listener.local_addr().expect("the bound address");
        let base = format!("http://{address}");
        let google_config = google
            .client_config(&format!("{base}{CALLBACK_PATH}"))
            .expect("a Google config for the fake");
        let authorizer = GoogleClient::new(&google_config).expect("a Google client");
        let public_url = settings.public_url.as_deref().unwrap_or(&base);
        let mut config = ApiConfig::new(Url::parse(public_url).expect("the public URL"));
        config.cors_origins = settings
            .cors_origins
            .iter()
            .map(|origin| AllowedOrigin::parse(origin).expect("an origin"))
            .collect();
        config.admin_api_key = settings.admin_key.map(pulse_domain::Secret::new);
        config.auth_failure_limit = settings.auth_failures;
        config.oauth_state_ttl = settings.oauth_state_ttl;
        let metrics = install_metrics_recorder().expect("the metrics recorder");
        let state = ApiState::new(
            store.clone(),
            authorizer,
            config,
            StoreReadiness(store.clone()),
            metrics,
        );
        let server = serve(listener, state);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        Self {
            base,
            http,
            store,
            google,
            database,
            server,
        }
    }

    /// A Google client of its own (no cached tokens) pointed at the fake.
    pub fn google_client(&self) -> GoogleClient {
        let config = self
            .google
            .client_config(&self.url(CALLBACK_PATH))
            .expect("a Google config for the fake");
        GoogleClient::new(&config).expect("a Google client")
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with a bearer key (or none).
    pub fn request(&self, method: Method, path: &str, key: Option<&str>) -> RequestBuilder {
        let builder = self.http.request(method, self.url(path));
        match key {
            Some(key) => builder.bearer_auth(key),
            None => builder,
        }
    }

    /// `GET path` with a key.
    pub async fn get(&self, path: &str, key: &str) -> Response {
        self.request(Method::GET, path, Some(key))
            .send()
            .await
            .expect("the request is answered")
    }

    /// A JSON request with a key.
    pub async fn send_json(&self, method: Method, path: &str, key: &str, body: &Value) -> Response {
        self.request(method, path, Some(key))
            .json(body)
            .send()
            .await
            .expect("the request is answered")
    }

    /// A new key for `workspace`.
    pub async fn workspace_key(&self, workspace: &str) -> String {
        let scope = ApiKeyScope::Workspace(user(workspace));
        self.key_with_scope(&scope).await.0
    }

    /// A new stored admin key.
    pub async fn admin_key(&self) -> String {
        self.key_with_scope(&ApiKeyScope::Admin).await.0
    }

    /// A new key with `scope`, and its id (to revoke).
    pub async fn key_with_scope(&self, scope: &ApiKeyScope) -> (String, uuid::Uuid) {
        let key = generate_api_key().expect("random bytes");
        let record = self
            .store
            .create_key(&key.hash, scope, Some("test"), Utc::now())
            .await
            .expect("the key is stored");
        (key.plaintext.expose().to_owned(), record.id)
    }

    /// Queues a manual job for `workspace` straight in the store.
    pub async fn queue_job(&self, workspace: &str) -> SyncJob {
        self.store
            .enqueue_manual(&user(workspace), Utc::now())
            .await
            .expect("a job is queued")
    }

    /// Claims the oldest queued job (any workspace) as a worker would.
    pub async fn claim_job(&self) -> JobLease {
        let mut leases = self
            .store
            .claim_jobs("test-worker", 1, TimeDelta::minutes(5), Utc::now())
            .await
            .expect("the claim runs");
        leases.pop().expect("a queued job to claim")
    }

    /// Queues, claims and fails a job for `workspace`, leaving a finished job behind.
    pub async fn finished_job(&self, workspace: &str) -> SyncJob {
        let job = self.queue_job(workspace).await;
        let lease = self.claim_job().await;
        assert_eq!(lease.job_id, job.id);
        self.store
            .end_run(
                &lease,
                RunEnd {
                    counts: JobCounts::default(),
                    finished_at: Utc::now(),
                    grant: None,
                    ending: RunEnding::Failed {
                        failure: SyncFailure {
                            kind: FailureKind::Transient,
                            message: "the test ended it".to_owned(),
                        },
                        jitter: 0.0,
                    },
                },
            )
            .await
            .expect("the job fails");
        job
    }
}

impl Drop for TestApi {
    fn drop(&mut self) {
        drop(self.server.stop(false));
    }
}

/// Runs `pulse_api::app` on `listener` in a thread of its own (its own actix system).
fn serve<S, A>(listener: TcpListener, state: ApiState<S, A>) -> ServerHandle
where
    S: pulse_api::ApiStore,
    A: pulse_api::GoogleAuthorizer + 'static,
{
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("pulse-api-test".to_owned())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || pulse_api::app(state.clone()))
                    .workers(2)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .listen(listener)
                    .expect("the server listens")
                    .run();
                sender.send(server.handle()).expect("the test waits");
                server.await.expect("the server runs");
            });
        })
        .expect("a server thread");
    receiver.recv().expect("the server started")
}

/// A valid workspace id.
pub fn user(workspace: &str) -> UserId {
    UserId::parse(workspace).expect("a valid workspace id")
}

/// Reads a JSON body.
pub async fn json(response: Response) -> Value {
    response.json().await.expect("a JSON body")
}

/// Asserts an error answer: status, the `application/json` body shape and its code; returns the
/// error object.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status of {}", response.url());
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    let body: Value = response.json().await.expect("a JSON error body");
    let typed: ErrorBody = serde_json::from_value(body.clone()).expect("the error body shape");
    assert_eq!(typed.error.code, code, "error body {body}");
    assert!(!typed.error.message.is_empty());
    let keys: Vec<&String> = body["error"]
        .as_object()
        .expect("an error object")
        .keys()
        .collect();
    for key in keys {
        assert!(
            ["code", "message", "field", "job_id", "error_id"].contains(&key.as_str()),
            "unexpected key {key} in {body}"
        );
    }
    body["error"].clone()
}
