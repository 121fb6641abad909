//! Value parsers for the command line: each checks one setting and, when it refuses a value, says
//! which environment variable (and flag) holds it and what it should be.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::num::NonZeroU32;

use pulse_api::{AllowedOrigin, IpNet, parse_origin_list};
use pulse_domain::Secret;
use pulse_storage::PoolerMode;
use url::Url;

use crate::logging::LogFormat;
use crate::settings::variables::{
    PULSE_API_POOL_SIZE, PULSE_AUTH_FAILURE_LIMIT, PULSE_BIND, PULSE_CORS_ORIGINS,
    PULSE_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS, PULSE_DATABASE_LOCK_TIMEOUT_SECONDS,
    PULSE_DATABASE_POOLER, PULSE_DATABASE_STATEMENT_TIMEOUT_SECONDS, PULSE_LEASE_SECONDS,
    PULSE_LOG_FORMAT, PULSE_PUBLIC_URL, PULSE_SCHEDULER_STARTUP_DELAY_SECONDS,
    PULSE_SCHEDULER_TICK_SECONDS, PULSE_SHUTDOWN_GRACE_SECONDS, PULSE_TRUSTED_PROXIES,
    PULSE_WORKER_POOL_SIZE, PULSE_WORKERS,
};

/// The most workers one process may run.
pub const MAX_WORKERS: u64 = 256;

/// The longest accepted duration setting: one day.
const MAX_SECONDS: u64 = 86_400;

/// The CORS origins of `PULSE_CORS_ORIGINS`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(pub Vec<AllowedOrigin>);

/// A setting that holds a secret (a database URL with its password, an encryption key): kept
/// wrapped so that `Debug` output never shows it.
pub fn secret(raw: &str) -> Result<Secret, Infallible> {
    Ok(Secret::new(raw))
}

/// `PULSE_BIND`: an IP address and port, such as `127.0.0.1:3003` or `0.0.0.0:0`.
pub fn bind_address(raw: &str) -> Result<SocketAddr, String> {
    raw.trim().parse().map_err(|_| {
        format!("{PULSE_BIND} must be an IP address and port such as 127.0.0.1:3003 or [::]:3003")
    })
}

/// `PULSE_PUBLIC_URL`: an http(s) URL with a host and no query or fragment.
pub fn public_url(raw: &str) -> Result<Url, String> {
    let refuse = || {
        format!("{PULSE_PUBLIC_URL} must be an http or https URL such as https://sync.example.com")
    };
    let url = Url::parse(raw.trim()).map_err(|_| refuse())?;
    let usable = matches!(url.scheme(), "http" | "https")
        && url.has_host()
        && url.query().is_none()
        && url.fragment().is_none();
    usable.then_some(url).ok_or_else(refuse)
}

/// `PULSE_CORS_ORIGINS`: comma-separated origins.
pub fn origins(raw: &str) -> Result<Origins, String> {
    parse_origin_list(raw)
        .map(Origins)
        .map_err(|error| format!("{PULSE_CORS_ORIGINS}: {error}"))
}

/// `PULSE_TRUSTED_PROXIES`: comma-separated addresses or CIDR blocks.
pub fn trusted_proxies(raw: &str) -> Result<TrustedProxies, String> {
    pulse_api::parse_trusted_proxies(raw)
        .map(TrustedProxies)
        .map_err(|error| format!("{PULSE_TRUSTED_PROXIES}: {error}"))
}

/// The proxies of `PULSE_TRUSTED_PROXIES`, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<IpNet>);

/// `PULSE_AUTH_FAILURE_LIMIT`: at least one failed attempt per minute.
pub fn auth_failure_limit(raw: &str) -> Result<u32, String> {
    raw.trim()
        .parse::<NonZeroU32>()
        .map(NonZeroU32::get)
        .map_err(|_| format!("{PULSE_AUTH_FAILURE_LIMIT} must be a whole number of at least 1"))
}

/// The most connections one pool may hold.
const MAX_POOL_SIZE: u64 = 1_000;

/// `PULSE_DATABASE_POOLER`: `none` (or `session`) or `transaction`.
pub fn pooler(raw: &str) -> Result<PoolerMode, String> {
    PoolerMode::parse(raw).ok_or_else(|| {
        format!(
            "{PULSE_DATABASE_POOLER} must be `none` (a direct connection or a session pooler) or \
             `transaction` (PgBouncer in transaction mode, Supabase's port 6543)"
        )
    })
}

/// `PULSE_DATABASE_STATEMENT_TIMEOUT_SECONDS`: 0 (none) to a day.
pub fn statement_timeout_seconds(raw: &str) -> Result<u64, String> {
    whole_number(
        raw,
        PULSE_DATABASE_STATEMENT_TIMEOUT_SECONDS,
        0,
        MAX_SECONDS,
    )
}

/// `PULSE_DATABASE_LOCK_TIMEOUT_SECONDS`: 0 (none) to a day.
pub fn lock_timeout_seconds(raw: &str) -> Result<u64, String> {
    whole_number(raw, PULSE_DATABASE_LOCK_TIMEOUT_SECONDS, 0, MAX_SECONDS)
}

/// `PULSE_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS`: 0 (none) to a day.
pub fn idle_in_transaction_timeout_seconds(raw: &str) -> Result<u64, String> {
    whole_number(
        raw,
        PULSE_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS,
        0,
        MAX_SECONDS,
    )
}

/// `PULSE_API_POOL_SIZE`: 1 to 1,000 connections.
pub fn api_pool_size(raw: &str) -> Result<usize, String> {
    pool_size(raw, PULSE_API_POOL_SIZE)
}

/// `PULSE_WORKER_POOL_SIZE`: 1 to 1,000 connections.
pub fn worker_pool_size(raw: &str) -> Result<usize, String> {
    pool_size(raw, PULSE_WORKER_POOL_SIZE)
}

fn pool_size(raw: &str, variable: &str) -> Result<usize, String> {
    let size = whole_number(raw, variable, 1, MAX_POOL_SIZE)?;
    usize::try_from(size).map_err(|_| format!("{variable} is too large"))
}

/// `PULSE_WORKERS`: 1 to 256.
pub fn workers(raw: &str) -> Result<usize, String> {
    let count = whole_number(raw, PULSE_WORKERS, 1, MAX_WORKERS)?;
    usize::try_from(count).map_err(|_| format!("{PULSE_WORKERS} is too large"))
}

/// `PULSE_SCHEDULER_TICK_SECONDS`: 1 s to a day.
pub fn tick_seconds(raw: &str) -> Result<u64, String> {
    whole_number(raw, PULSE_SCHEDULER_TICK_SECONDS, 1, MAX_SECONDS)
}

/// `PULSE_SCHEDULER_STARTUP_DELAY_SECONDS`: 0 s to a day.
pub fn startup_delay_seconds(raw: &str) -> Result<u64, String> {
    whole_number(raw, PULSE_SCHEDULER_STARTUP_DELAY_SECONDS, 0, MAX_SECONDS)
}

/// `PULSE_LEASE_SECONDS`: 3 s (a heartbeat every second) to a day.
pub fn lease_seconds(raw: &str) -> Result<u64, String> {
    whole_number(raw, PULSE_LEASE_SECONDS, 3, MAX_SECONDS)
}

/// `PULSE_SHUTDOWN_GRACE_SECONDS`: 0 s to an hour.
pub fn shutdown_grace_seconds(raw: &str) -> Result<u64, String> {
    whole_number(raw, PULSE_SHUTDOWN_GRACE_SECONDS, 0, 3_600)
}

/// `PULSE_GOOGLE_RPM`: at least one request per minute.
pub fn google_rpm(raw: &str) -> Result<NonZeroU32, String> {
    per_minute(raw, pulse_google::env::RPM)
}

/// `PULSE_GOOGLE_USER_RPM`: at least one request per minute.
pub fn google_user_rpm(raw: &str) -> Result<NonZeroU32, String> {
    per_minute(raw, pulse_google::env::USER_RPM)
}

fn per_minute(raw: &str, variable: &str) -> Result<NonZeroU32, String> {
    raw.trim().parse::<NonZeroU32>().map_err(|_| {
        format!("{variable} must be a whole number of requests per minute, at least 1")
    })
}

/// `PULSE_LOG_FORMAT`: `text` or `json`.
pub fn log_format(raw: &str) -> Result<LogFormat, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err(format!("{PULSE_LOG_FORMAT} must be text or json")),
    }
}

/// A whole number from `min` to `max`, or a message naming `variable`.
fn whole_number(raw: &str, variable: &str, min: u64, max: u64) -> Result<u64, String> {
    raw.trim()
        .parse::<u64>()
        .ok()
        .filter(|value| (min..=max).contains(value))
        .ok_or_else(|| format!("{variable} must be a whole number from {min} to {max}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_range_are_accepted() {
        assert_eq!(workers("4"), Ok(4));
        assert_eq!(workers(" 256 "), Ok(256));
        assert_eq!(startup_delay_seconds("0"), Ok(0));
        assert_eq!(tick_seconds("30"), Ok(30));
        assert_eq!(lease_seconds("120"), Ok(120));
        assert_eq!(auth_failure_limit("1000"), Ok(1000));
        assert_eq!(log_format("JSON"), Ok(LogFormat::Json));
    }

    #[test]
    fn refusals_name_the_variable() {
        for (outcome, variable) in [
            (workers("0").err(), PULSE_WORKERS),
            (workers("four").err(), PULSE_WORKERS),
            (workers("257").err(), PULSE_WORKERS),
            (tick_seconds("0").err(), PULSE_SCHEDULER_TICK_SECONDS),
            (lease_seconds("-5").err(), PULSE_LEASE_SECONDS),
            (auth_failure_limit("0").err(), PULSE_AUTH_FAILURE_LIMIT),
            (google_rpm("0").err(), pulse_google::env::RPM),
            (log_format("xml").err(), PULSE_LOG_FORMAT),
            (google_user_rpm("lots").err(), pulse_google::env::USER_RPM),
            (bind_address("localhost").err(), PULSE_BIND),
            (public_url("ftp://example.com").err(), PULSE_PUBLIC_URL),
            (
                public_url("https://example.com/?a=1").err(),
                PULSE_PUBLIC_URL,
            ),
            (origins("not an origin").err(), PULSE_CORS_ORIGINS),
        ] {
            let message = outcome.unwrap_or_default();
            assert!(message.contains(variable), "{message:?} names {variable}");
        }
    }

    #[test]
    fn origins_and_addresses_parse() {
        let parsed = origins("http://localhost:5176, https://crm.example.com").unwrap();
        let names: Vec<&str> = parsed.0.iter().map(AllowedOrigin::as_str).collect();
        assert_eq!(names, ["http://localhost:5176", "https://crm.example.com"]);
        assert_eq!(origins("").unwrap(), Origins::default());
        assert_eq!(
            bind_address("127.0.0.1:0").unwrap(),
            "127.0.0.1:0".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            public_url("https://sync.example.com").unwrap().as_str(),
            "https://sync.example.com/"
        );
    }
}
