//! The names of every environment variable pulse-sync reads, in one list ([`VARIABLES`]) that the
//! command line, the Google and storage crates, and `docs/configuration.md` are checked against.

use pulse_google::env as google;

/// The PostgreSQL database; absent: the local cluster under `PULSE_DATA_DIR`.
pub const DATABASE_URL: &str = "DATABASE_URL";
/// Where the local cluster (and its encryption key) lives when `DATABASE_URL` is absent.
pub const PULSE_DATA_DIR: &str = "PULSE_DATA_DIR";
/// Directories searched for PostgreSQL's server programs instead of the usual places.
pub const PULSE_PG_BIN_DIRS: &str = pulse_storage::local_cluster::PG_BIN_DIRS_VAR;
/// `none` (direct or session pooler) or `transaction` (a transaction pooler in front).
pub const PULSE_DATABASE_POOLER: &str = "PULSE_DATABASE_POOLER";
/// `statement_timeout` of every session, in seconds (0: none).
pub const PULSE_DATABASE_STATEMENT_TIMEOUT_SECONDS: &str =
    "PULSE_DATABASE_STATEMENT_TIMEOUT_SECONDS";
/// `lock_timeout` of every session, in seconds (0: none).
pub const PULSE_DATABASE_LOCK_TIMEOUT_SECONDS: &str = "PULSE_DATABASE_LOCK_TIMEOUT_SECONDS";
/// `idle_in_transaction_session_timeout` of every session, in seconds (0: none).
pub const PULSE_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS: &str =
    "PULSE_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS";
/// Connections of the API's pool (requests never wait behind syncs for one).
pub const PULSE_API_POOL_SIZE: &str = "PULSE_API_POOL_SIZE";
/// Connections of the scheduler's pool (workers, scans, the rescuer).
pub const PULSE_WORKER_POOL_SIZE: &str = "PULSE_WORKER_POOL_SIZE";
/// The address the HTTP server listens on.
pub const PULSE_BIND: &str = "PULSE_BIND";
/// The server's own origin, for OAuth redirects and the demo's link.
pub const PULSE_PUBLIC_URL: &str = "PULSE_PUBLIC_URL";
/// The key that seals Google grants at rest (base64 of 32 bytes).
pub const PULSE_ENCRYPTION_KEY: &str = pulse_storage::crypto::ENCRYPTION_KEY_VAR;
/// Older keys, still accepted for opening (key rotation).
pub const PULSE_PREVIOUS_ENCRYPTION_KEYS: &str =
    pulse_storage::crypto::PREVIOUS_ENCRYPTION_KEYS_VAR;
/// A key accepted as an admin API key besides the stored ones.
pub const PULSE_ADMIN_API_KEY: &str = "PULSE_ADMIN_API_KEY";
/// A file holding the admin key (instead of `PULSE_ADMIN_API_KEY`).
pub const PULSE_ADMIN_API_KEY_FILE: &str = "PULSE_ADMIN_API_KEY_FILE";
/// Browser origins allowed to call the API (comma-separated).
pub const PULSE_CORS_ORIGINS: &str = "PULSE_CORS_ORIGINS";
/// Proxies whose `X-Forwarded-For` names the client address (addresses or CIDR blocks).
pub const PULSE_TRUSTED_PROXIES: &str = "PULSE_TRUSTED_PROXIES";
/// Failed authentication attempts per minute per client address before 429.
pub const PULSE_AUTH_FAILURE_LIMIT: &str = "PULSE_AUTH_FAILURE_LIMIT";
/// The due scanner's longest sleep, in seconds.
pub const PULSE_SCHEDULER_TICK_SECONDS: &str = "PULSE_SCHEDULER_TICK_SECONDS";
/// The wait before the first due scan, in seconds.
pub const PULSE_SCHEDULER_STARTUP_DELAY_SECONDS: &str = "PULSE_SCHEDULER_STARTUP_DELAY_SECONDS";
/// Syncs one process runs at once.
pub const PULSE_WORKERS: &str = "PULSE_WORKERS";
/// How long a claimed job stays leased without a heartbeat, in seconds.
pub const PULSE_LEASE_SECONDS: &str = "PULSE_LEASE_SECONDS";
/// How long shutdown waits for running syncs and requests, in seconds.
pub const PULSE_SHUTDOWN_GRACE_SECONDS: &str = "PULSE_SHUTDOWN_GRACE_SECONDS";
/// Accept and call webhook endpoints on loopback and private addresses (tests, the demo).
pub const PULSE_WEBHOOK_ALLOW_PRIVATE: &str = "PULSE_WEBHOOK_ALLOW_PRIVATE";
/// `serve --no-api`.
pub const PULSE_NO_API: &str = "PULSE_NO_API";
/// `serve --no-scheduler`.
pub const PULSE_NO_SCHEDULER: &str = "PULSE_NO_SCHEDULER";
/// `serve --no-migrate`.
pub const PULSE_NO_MIGRATE: &str = "PULSE_NO_MIGRATE";
/// `demo --skip-initial-sync`.
pub const PULSE_DEMO_SKIP_INITIAL_SYNC: &str = "PULSE_DEMO_SKIP_INITIAL_SYNC";
/// The log filter (tracing's `EnvFilter` syntax).
pub const RUST_LOG: &str = "RUST_LOG";
/// `text` (default) or `json` log lines.
pub const PULSE_LOG_FORMAT: &str = "PULSE_LOG_FORMAT";

/// Every variable pulse-sync reads, in the order `docs/configuration.md` lists them.
pub const VARIABLES: &[&str] = &[
    DATABASE_URL,
    PULSE_DATA_DIR,
    PULSE_PG_BIN_DIRS,
    PULSE_DATABASE_POOLER,
    PULSE_DATABASE_STATEMENT_TIMEOUT_SECONDS,
    PULSE_DATABASE_LOCK_TIMEOUT_SECONDS,
    PULSE_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS,
    PULSE_API_POOL_SIZE,
    PULSE_WORKER_POOL_SIZE,
    PULSE_BIND,
    PULSE_PUBLIC_URL,
    PULSE_ENCRYPTION_KEY,
    PULSE_PREVIOUS_ENCRYPTION_KEYS,
    PULSE_ADMIN_API_KEY,
    PULSE_ADMIN_API_KEY_FILE,
    PULSE_CORS_ORIGINS,
    PULSE_AUTH_FAILURE_LIMIT,
    PULSE_TRUSTED_PROXIES,
    PULSE_SCHEDULER_TICK_SECONDS,
    PULSE_SCHEDULER_STARTUP_DELAY_SECONDS,
    PULSE_WORKERS,
    PULSE_LEASE_SECONDS,
    PULSE_SHUTDOWN_GRACE_SECONDS,
    PULSE_WEBHOOK_ALLOW_PRIVATE,
    PULSE_NO_API,
    PULSE_NO_SCHEDULER,
    PULSE_NO_MIGRATE,
    PULSE_DEMO_SKIP_INITIAL_SYNC,
    RUST_LOG,
    PULSE_LOG_FORMAT,
    google::CLIENT_ID,
    google::CLIENT_SECRET,
    google::REDIRECT_URL,
    google::AUTH_URL,
    google::TOKEN_URL,
    google::REVOKE_URL,
    google::PEOPLE_API_URL,
    google::RPM,
    google::USER_RPM,
    google::BURST,
    google::USER_BURST,
    google::MAX_ATTEMPTS,
    google::BACKOFF_BASE_MS,
    google::BACKOFF_MAX_MS,
    google::RETRY_BUDGET_MS,
    google::CONNECT_TIMEOUT_MS,
    google::REQUEST_TIMEOUT_MS,
    google::TOKEN_REFRESH_MARGIN_MS,
];
