//! The settings shared by several commands, as clap argument groups: every option is a flag and
//! an environment variable (named in [`crate::settings::variables`]).

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

use std::time::Duration;

use clap::Args;
use clap::builder::BoolishValueParser;
use pulse_domain::Secret;
use pulse_storage::{PoolerMode, SessionSettings, SessionTimeouts};
use url::Url;

use crate::settings::parse::{self, Origins, TrustedProxies};
use crate::settings::variables::{
    DATABASE_URL, PULSE_API_POOL_SIZE, PULSE_AUTH_FAILURE_LIMIT, PULSE_BIND, PULSE_CORS_ORIGINS,
    PULSE_DATA_DIR, PULSE_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS,
    PULSE_DATABASE_LOCK_TIMEOUT_SECONDS, PULSE_DATABASE_POOLER,
    PULSE_DATABASE_STATEMENT_TIMEOUT_SECONDS, PULSE_ENCRYPTION_KEY, PULSE_LEASE_SECONDS,
    PULSE_PREVIOUS_ENCRYPTION_KEYS, PULSE_PUBLIC_URL, PULSE_SCHEDULER_STARTUP_DELAY_SECONDS,
    PULSE_SCHEDULER_TICK_SECONDS, PULSE_SHUTDOWN_GRACE_SECONDS, PULSE_TRUSTED_PROXIES,
    PULSE_WEBHOOK_ALLOW_PRIVATE, PULSE_WORKER_POOL_SIZE, PULSE_WORKERS,
};

/// The default of `PULSE_BIND`: the seed's port, on loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:3003";

/// The default of `PULSE_DATA_DIR`, relative to the current directory.
pub const DEFAULT_DATA_DIR: &str = ".pulse-data";

/// Which PostgreSQL to use.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// The PostgreSQL database, e.g. postgres://user:password@host:5432/pulse. Without it, a
    /// local PostgreSQL is started in --data-dir (kept between runs).
    #[arg(long, env = DATABASE_URL, hide_env_values = true, value_parser = parse::secret)]
    pub database_url: Option<Secret>,
    /// Where the local PostgreSQL and its generated encryption key live when DATABASE_URL is not
    /// set.
    #[arg(long, env = PULSE_DATA_DIR, default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// What sits between pulse-sync and PostgreSQL: `none` (a direct connection or a session
    /// pooler) or `transaction` (PgBouncer's pool_mode = transaction, Supabase's port 6543).
    #[arg(long, env = PULSE_DATABASE_POOLER, default_value = "none", value_parser = parse::pooler)]
    pub database_pooler: PoolerMode,
    /// The longest one statement may run, in seconds (0: no limit).
    #[arg(long, env = PULSE_DATABASE_STATEMENT_TIMEOUT_SECONDS, default_value = "30", value_parser = parse::statement_timeout_seconds)]
    pub database_statement_timeout_seconds: u64,
    /// The longest a statement waits for a lock, in seconds (0: no limit).
    #[arg(long, env = PULSE_DATABASE_LOCK_TIMEOUT_SECONDS, default_value = "10", value_parser = parse::lock_timeout_seconds)]
    pub database_lock_timeout_seconds: u64,
    /// The longest a transaction may sit idle before the server ends its session, in seconds
    /// (0: no limit).
    #[arg(long, env = PULSE_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS, default_value = "60", value_parser = parse::idle_in_transaction_timeout_seconds)]
    pub database_idle_in_transaction_timeout_seconds: u64,
    /// Connections of the API's own pool (serve, demo).
    #[arg(long, env = PULSE_API_POOL_SIZE, default_value = "32", value_parser = parse::api_pool_size)]
    pub api_pool_size: usize,
    /// Connections of the scheduler's own pool (serve, demo) [default: workers + 3].
    #[arg(long, env = PULSE_WORKER_POOL_SIZE, value_parser = parse::worker_pool_size)]
    pub worker_pool_size: Option<usize>,
}

impl DatabaseArgs {
    /// `DATABASE_URL` when given and not blank.
    pub fn url(&self) -> Option<&str> {
        self.database_url
            .as_ref()
            .map(|url| url.expose().trim())
            .filter(|url| !url.is_empty())
    }

    /// The session every connection gets: the pooler and the timeouts.
    pub fn session(&self) -> SessionSettings {
        SessionSettings {
            pooler: self.database_pooler,
            timeouts: SessionTimeouts {
                statement: Duration::from_secs(self.database_statement_timeout_seconds),
                lock: Duration::from_secs(self.database_lock_timeout_seconds),
                idle_in_transaction: Duration::from_secs(
                    self.database_idle_in_transaction_timeout_seconds,
                ),
            },
            ..SessionSettings::default()
        }
    }
}

/// The keys that seal Google grants at rest.
#[derive(Debug, Clone, Args)]
pub struct EncryptionArgs {
    /// The key that seals secrets (base64 of 32 random bytes, e.g. `openssl rand -base64 32`).
    /// Required with DATABASE_URL; on the local PostgreSQL one is generated and kept in
    /// --data-dir.
    #[arg(long, env = PULSE_ENCRYPTION_KEY, hide_env_values = true, value_parser = parse::secret)]
    pub encryption_key: Option<Secret>,
    /// Older keys, comma-separated, still accepted for opening secrets (key rotation).
    #[arg(long, env = PULSE_PREVIOUS_ENCRYPTION_KEYS, hide_env_values = true, value_parser = parse::secret)]
    pub previous_encryption_keys: Option<Secret>,
}

/// The HTTP server: where it listens, who may call it, and its own public origin.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// The address and port to listen on (port 0 picks a free port; the log says which).
    #[arg(long, env = PULSE_BIND, default_value = DEFAULT_BIND, value_parser = parse::bind_address)]
    pub bind: SocketAddr,
    /// The server's own URL as browsers reach it, for OAuth redirects [default: http:// and the
    /// bound address, 127.0.0.1 for an unspecified address].
    #[arg(long, env = PULSE_PUBLIC_URL, value_parser = parse::public_url)]
    pub public_url: Option<Url>,
    /// Browser origins allowed to call the API, comma-separated [default: none].
    #[arg(long, env = PULSE_CORS_ORIGINS, value_parser = parse::origins)]
    pub cors_origins: Option<Origins>,
    /// Proxies (addresses or CIDR blocks, comma-separated) whose X-Forwarded-For names the client
    /// address for the failed-authentication limit [default: none: the TCP peer is the client].
    #[arg(long, env = PULSE_TRUSTED_PROXIES, value_parser = parse::trusted_proxies)]
    pub trusted_proxies: Option<TrustedProxies>,
    /// Failed authentication attempts per minute from one client address before it gets 429.
    #[arg(long, env = PULSE_AUTH_FAILURE_LIMIT, default_value = "20", value_parser = parse::auth_failure_limit)]
    pub auth_failure_limit: u32,
}

/// The scheduler's timings and sizes.
#[derive(Debug, Clone, Args)]
pub struct SchedulerArgs {
    /// The longest the due scanner sleeps between scans, in seconds [default: 30; demo: 5].
    #[arg(long, env = PULSE_SCHEDULER_TICK_SECONDS, value_parser = parse::tick_seconds)]
    pub scheduler_tick_seconds: Option<u64>,
    /// The wait before the first due scan, in seconds [default: 10; demo: 1].
    #[arg(long, env = PULSE_SCHEDULER_STARTUP_DELAY_SECONDS, value_parser = parse::startup_delay_seconds)]
    pub scheduler_startup_delay_seconds: Option<u64>,
    /// Syncs this process runs at once.
    #[arg(long, env = PULSE_WORKERS, default_value = "4", value_parser = parse::workers)]
    pub workers: usize,
    /// How long a claimed job stays leased without a heartbeat, in seconds.
    #[arg(long, env = PULSE_LEASE_SECONDS, default_value = "120", value_parser = parse::lease_seconds)]
    pub lease_seconds: u64,
    /// On shutdown, how long running syncs and requests may take to finish, in seconds.
    #[arg(long, env = PULSE_SHUTDOWN_GRACE_SECONDS, default_value = "30", value_parser = parse::shutdown_grace_seconds)]
    pub shutdown_grace_seconds: u64,
}

/// The webhooks: which endpoint addresses may be set and called.
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// Accept and call webhook endpoints on loopback, private and other internal addresses
    /// [default: refused, so a tenant cannot aim the server at internal services; demo: allowed].
    #[arg(long, env = PULSE_WEBHOOK_ALLOW_PRIVATE, value_parser = boolish())]
    pub webhook_allow_private: bool,
}

/// The Google request-rate limits (the other Google variables are read from the environment).
#[derive(Debug, Clone, Args)]
pub struct GoogleArgs {
    /// Requests per minute to Google from this process [default: 600].
    #[arg(long, env = pulse_google::env::RPM, value_parser = parse::google_rpm)]
    pub google_rpm: Option<NonZeroU32>,
    /// Requests per minute to Google for one user [default: 90].
    #[arg(long, env = pulse_google::env::USER_RPM, value_parser = parse::google_user_rpm)]
    pub google_user_rpm: Option<NonZeroU32>,
}

/// A yes/no flag that is also set by an environment variable holding `1`, `true`, `yes` or `on`
/// (and unset by `0`, `false`, `no` or `off`).
pub fn boolish() -> BoolishValueParser {
    BoolishValueParser::new()
}
