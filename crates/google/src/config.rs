//! `GoogleConfig`: client credentials, endpoints, rate limits, retries and timeouts, read from the
//! environment (`GoogleConfig::from_env`) or built in code (tests point it at the fake Google).

use std::num::NonZeroU32;
use std::time::Duration;

use pulse_domain::Secret;
use reqwest::Url;

use crate::error::ConfigError;

/// Google's authorization endpoint.
pub const DEFAULT_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Google's token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Google's revocation endpoint.
pub const DEFAULT_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
/// The People API's base URL; the client appends `/v1/people/me` and `/v1/people/me/connections`.
pub const DEFAULT_PEOPLE_API_URL: &str = "https://people.googleapis.com";
/// The scopes pulse-sync asks for (defined with the rules that require them).
pub use pulse_domain::ports::{ACCOUNT_EMAIL_SCOPE, CONTACTS_READONLY_SCOPE};

/// The names of the environment variables `GoogleConfig::from_env` reads.
pub mod env {
    /// OAuth client id (required).
    pub const CLIENT_ID: &str = "GOOGLE_CLIENT_ID";
    /// OAuth client secret (required).
    pub const CLIENT_SECRET: &str = "GOOGLE_CLIENT_SECRET";
    /// The callback URL registered with Google (required).
    pub const REDIRECT_URL: &str = "GOOGLE_REDIRECT_URL";
    /// Authorization endpoint.
    pub const AUTH_URL: &str = "GOOGLE_AUTH_URL";
    /// Token endpoint.
    pub const TOKEN_URL: &str = "GOOGLE_TOKEN_URL";
    /// Revocation endpoint.
    pub const REVOKE_URL: &str = "GOOGLE_REVOKE_URL";
    /// People API base URL.
    pub const PEOPLE_API_URL: &str = "GOOGLE_PEOPLE_API_URL";
    /// Requests per minute for the whole Google project (this process).
    pub const RPM: &str = "PULSE_GOOGLE_RPM";
    /// Requests per minute for one user.
    pub const USER_RPM: &str = "PULSE_GOOGLE_USER_RPM";
    /// Requests the project limiter admits at once after a quiet spell.
    pub const BURST: &str = "PULSE_GOOGLE_BURST";
    /// Requests the per-user limiter admits at once after a quiet spell.
    pub const USER_BURST: &str = "PULSE_GOOGLE_USER_BURST";
    /// Attempts per request, the first included.
    pub const MAX_ATTEMPTS: &str = "PULSE_GOOGLE_MAX_ATTEMPTS";
    /// First backoff ceiling, in milliseconds (doubles per attempt).
    pub const BACKOFF_BASE_MS: &str = "PULSE_GOOGLE_BACKOFF_BASE_MS";
    /// Largest backoff ceiling, in milliseconds.
    pub const BACKOFF_MAX_MS: &str = "PULSE_GOOGLE_BACKOFF_MAX_MS";
    /// Total time one request may spend retrying, in milliseconds.
    pub const RETRY_BUDGET_MS: &str = "PULSE_GOOGLE_RETRY_BUDGET_MS";
    /// TCP connect timeout, in milliseconds.
    pub const CONNECT_TIMEOUT_MS: &str = "PULSE_GOOGLE_CONNECT_TIMEOUT_MS";
    /// Whole-request timeout (send and read the body), in milliseconds.
    pub const REQUEST_TIMEOUT_MS: &str = "PULSE_GOOGLE_REQUEST_TIMEOUT_MS";
    /// How long before `expires_in` runs out an access token is refreshed, in milliseconds.
    pub const TOKEN_REFRESH_MARGIN_MS: &str = "PULSE_GOOGLE_TOKEN_REFRESH_MARGIN_MS";
}

/// Requests-per-minute limits for the Google project and for each user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Requests per minute across every user of this process.
    pub project_rpm: NonZeroU32,
    /// Requests admitted at once by the project limiter.
    pub project_burst: NonZeroU32,
    /// Requests per minute for one user.
    pub user_rpm: NonZeroU32,
    /// Requests admitted at once for one user.
    pub user_burst: NonZeroU32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            project_rpm: NonZeroU32::new(600).unwrap_or(NonZeroU32::MIN),
            project_burst: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            user_rpm: NonZeroU32::new(90).unwrap_or(NonZeroU32::MIN),
            user_burst: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// How 429s, 5xx answers and network failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts per request, the first included (at least 1).
    pub max_attempts: u32,
    /// The backoff ceiling after the first failure; it doubles per attempt (full jitter below it).
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
    /// Total time one request may spend, retries included; a wait past it gives up at once.
    pub max_total: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(32),
            max_total: Duration::from_secs(120),
        }
    }
}

/// Everything the Google client needs: credentials, endpoints, limits, retries, timeouts.
#[derive(Debug, Clone)]
pub struct GoogleConfig {
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: Secret,
    /// The callback URL Google redirects to after consent.
    pub redirect_url: Url,
    /// Authorization endpoint.
    pub auth_url: Url,
    /// Token endpoint.
    pub token_url: Url,
    /// Revocation endpoint.
    pub revoke_url: Url,
    /// People API base URL (without `/v1/...`).
    pub people_api_url: Url,
    /// Request-rate limits.
    pub rate_limits: RateLimitConfig,
    /// Retry policy.
    pub retry: RetryConfig,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout, body included.
    pub request_timeout: Duration,
    /// Refresh an access token this long before it expires (at most half its lifetime).
    pub token_refresh_margin: Duration,
    /// `pageSize` of every listing request (1 to 1000).
    pub page_size: u32,
}

impl GoogleConfig {
    /// A configuration for Google's real endpoints with default limits, retries and timeouts.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: Secret,
        redirect_url: &str,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            client_id: client_id.into(),
            client_secret,
            redirect_url: parse_url(env::REDIRECT_URL, redirect_url)?,
            auth_url: parse_url(env::AUTH_URL, DEFAULT_AUTH_URL)?,
            token_url: parse_url(env::TOKEN_URL, DEFAULT_TOKEN_URL)?,
            revoke_url: parse_url(env::REVOKE_URL, DEFAULT_REVOKE_URL)?,
            people_api_url: parse_url(env::PEOPLE_API_URL, DEFAULT_PEOPLE_API_URL)?,
            rate_limits: RateLimitConfig::default(),
            retry: RetryConfig::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            token_refresh_margin: Duration::from_secs(60),
            page_size: 1000,
        })
    }

    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (a variable name to its value); empty counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(&lookup);
        let mut config = Self::new(
            vars.required(env::CLIENT_ID)?,
            Secret::new(vars.required(env::CLIENT_SECRET)?),
            &vars.required(env::REDIRECT_URL)?,
        )?;
        config.auth_url = vars.url(env::AUTH_URL, DEFAULT_AUTH_URL)?;
        config.token_url = vars.url(env::TOKEN_URL, DEFAULT_TOKEN_URL)?;
        config.revoke_url = vars.url(env::REVOKE_URL, DEFAULT_REVOKE_URL)?;
        config.people_api_url = vars.url(env::PEOPLE_API_URL, DEFAULT_PEOPLE_API_URL)?;
        let limits = RateLimitConfig::default();
        config.rate_limits = RateLimitConfig {
            project_rpm: vars.non_zero(env::RPM, limits.project_rpm)?,
            project_burst: vars.non_zero(env::BURST, limits.project_burst)?,
            user_rpm: vars.non_zero(env::USER_RPM, limits.user_rpm)?,
            user_burst: vars.non_zero(env::USER_BURST, limits.user_burst)?,
        };
        let retry = RetryConfig::default();
        config.retry = RetryConfig {
            max_attempts: vars
                .non_zero(env::MAX_ATTEMPTS, nz(retry.max_attempts))?
                .get(),
            base_delay: vars.millis(env::BACKOFF_BASE_MS, retry.base_delay)?,
            max_delay: vars.millis(env::BACKOFF_MAX_MS, retry.max_delay)?,
            max_total: vars.millis(env::RETRY_BUDGET_MS, retry.max_total)?,
        };
        config.connect_timeout = vars.millis(env::CONNECT_TIMEOUT_MS, config.connect_timeout)?;
        config.request_timeout = vars.millis(env::REQUEST_TIMEOUT_MS, config.request_timeout)?;
        config.token_refresh_margin =
            vars.millis(env::TOKEN_REFRESH_MARGIN_MS, config.token_refresh_margin)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the values that code may have set out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::Missing {
                variable: env::CLIENT_ID,
            });
        }
        if self.retry.max_attempts == 0 {
            return Err(invalid(env::MAX_ATTEMPTS, "must be at least 1"));
        }
        if self.connect_timeout.is_zero() {
            return Err(invalid(env::CONNECT_TIMEOUT_MS, "must be positive"));
        }
        if self.request_timeout.is_zero() {
            return Err(invalid(env::REQUEST_TIMEOUT_MS, "must be positive"));
        }
        if !(1..=1000).contains(&self.page_size) {
            return Err(invalid("page_size", "must be between 1 and 1000"));
        }
        Ok(())
    }

    /// The full URL of `people.get` for the authenticated account (`people/me`).
    pub fn profile_url(&self) -> Url {
        let mut url = self.people_api_url.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}/v1/people/me"));
        url.set_query(None);
        url
    }

    /// The full URL of `people.connections.list`.
    pub fn connections_url(&self) -> Url {
        let mut url = self.people_api_url.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}/v1/people/me/connections"));
        url.set_query(None);
        url
    }
}

struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn get(&self, name: &'static str) -> Option<String> {
        (self.0)(name).filter(|value| !value.trim().is_empty())
    }

    fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name)
            .map(|value| value.trim().to_owned())
            .ok_or(ConfigError::Missing { variable: name })
    }

    fn url(&self, name: &'static str, default: &str) -> Result<Url, ConfigError> {
        match self.get(name) {
            Some(value) => parse_url(name, value.trim()),
            None => parse_url(name, default),
        }
    }

    fn non_zero(&self, name: &'static str, default: NonZeroU32) -> Result<NonZeroU32, ConfigError> {
        match self.get(name) {
            Some(value) => value
                .trim()
                .parse::<NonZeroU32>()
                .map_err(|_| invalid(name, "expected a whole number of at least 1")),
            None => Ok(default),
        }
    }

    fn millis(&self, name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        match self.get(name) {
            Some(value) => value
                .trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| invalid(name, "expected a whole number of milliseconds")),
            None => Ok(default),
        }
    }
}

fn parse_url(name: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|error| invalid(name, &format!("not a URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(name, "must be an http or https URL"));
    }
    Ok(url)
}

fn invalid(variable: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        variable,
        reason: reason.to_owned(),
    }
}

fn nz(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap_or(NonZeroU32::MIN)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const REQUIRED: [(&str, &str); 3] = [
        (env::CLIENT_ID, "client-1"),
        (env::CLIENT_SECRET, "shh"),
        (env::REDIRECT_URL, "https://crm.example/callback"),
    ];

    #[test]
    fn defaults_apply_when_only_credentials_are_set() {
        let config = GoogleConfig::from_lookup(lookup(&REQUIRED)).unwrap();
        assert_eq!(config.client_id, "client-1");
        assert_eq!(config.client_secret.expose(), "shh");
        assert_eq!(config.auth_url.as_str(), DEFAULT_AUTH_URL);
        assert_eq!(config.token_url.as_str(), DEFAULT_TOKEN_URL);
        assert_eq!(config.revoke_url.as_str(), DEFAULT_REVOKE_URL);
        assert_eq!(
            config.connections_url().as_str(),
            "https://people.googleapis.com/v1/people/me/connections"
        );
        assert_eq!(config.rate_limits.project_rpm.get(), 600);
        assert_eq!(config.rate_limits.user_rpm.get(), 90);
        assert_eq!(config.retry, RetryConfig::default());
        assert_eq!(config.page_size, 1000);
    }

    #[test]
    fn every_variable_is_read() {
        let mut pairs = REQUIRED.to_vec();
        pairs.extend([
            (env::AUTH_URL, "http://127.0.0.1:9/auth"),
            (env::TOKEN_URL, "http://127.0.0.1:9/token"),
            (env::REVOKE_URL, "http://127.0.0.1:9/revoke"),
            (env::PEOPLE_API_URL, "http://127.0.0.1:9/base/"),
            (env::RPM, "120"),
            (env::USER_RPM, "30"),
            (env::BURST, "4"),
            (env::USER_BURST, "2"),
            (env::MAX_ATTEMPTS, "3"),
            (env::BACKOFF_BASE_MS, "10"),
            (env::BACKOFF_MAX_MS, "100"),
            (env::RETRY_BUDGET_MS, "1000"),
            (env::CONNECT_TIMEOUT_MS, "200"),
            (env::REQUEST_TIMEOUT_MS, "300"),
            (env::TOKEN_REFRESH_MARGIN_MS, "5000"),
        ]);
        let config = GoogleConfig::from_lookup(lookup(&pairs)).unwrap();
        assert_eq!(config.token_url.as_str(), "http://127.0.0.1:9/token");
        assert_eq!(
            config.connections_url().as_str(),
            "http://127.0.0.1:9/base/v1/people/me/connections"
        );
        assert_eq!(config.rate_limits.project_rpm.get(), 120);
        assert_eq!(config.rate_limits.user_rpm.get(), 30);
        assert_eq!(config.rate_limits.project_burst.get(), 4);
        assert_eq!(config.rate_limits.user_burst.get(), 2);
        assert_eq!(config.retry.max_attempts, 3);
        assert_eq!(config.retry.base_delay, Duration::from_millis(10));
        assert_eq!(config.retry.max_delay, Duration::from_millis(100));
        assert_eq!(config.retry.max_total, Duration::from_secs(1));
        assert_eq!(config.connect_timeout, Duration::from_millis(200));
        assert_eq!(config.request_timeout, Duration::from_millis(300));
        assert_eq!(config.token_refresh_margin, Duration::from_secs(5));
    }

    #[test]
    fn a_missing_credential_names_its_variable() {
        let error = GoogleConfig::from_lookup(lookup(&REQUIRED[..2])).unwrap_err();
        assert_eq!(
            error,
            ConfigError::Missing {
                variable: env::REDIRECT_URL
            }
        );
    }

    #[test]
    fn invalid_values_name_their_variable_and_hide_the_secret() {
        for (name, value) in [
            (env::RPM, "0"),
            (env::USER_RPM, "fast"),
            (env::MAX_ATTEMPTS, "-1"),
            (env::TOKEN_URL, "not a url"),
            (env::PEOPLE_API_URL, "ftp://example.com"),
            (env::REQUEST_TIMEOUT_MS, "0"),
        ] {
            let mut pairs = REQUIRED.to_vec();
            pairs.push((name, value));
            let error = GoogleConfig::from_lookup(lookup(&pairs)).unwrap_err();
            assert!(
                matches!(error, ConfigError::Invalid { variable, .. } if variable == name),
                "{name}: {error:?}"
            );
            assert!(error.to_string().contains(name));
            assert!(!error.to_string().contains("shh"));
        }
    }
}
