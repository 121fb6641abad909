//! `ApiConfig`: what the server hands the API at start-up (its own URL, CORS origins, the admin key,
//! body and auth-failure limits, the OAuth state lifetime).

use std::time::Duration;

use ipnet::IpNet;
use pulse_domain::Secret;
use url::Url;

/// The largest request body accepted: 64 KiB.
pub const DEFAULT_BODY_LIMIT_BYTES: usize = 64 * 1024;

/// How long a started Google consent stays valid: 10 minutes.
pub const DEFAULT_OAUTH_STATE_TTL: Duration = Duration::from_secs(10 * 60);

/// Why a configuration value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// An origin that is not an `http` or `https` URL with a host.
    #[error("'{value}' is not an origin such as https://crm.example.com")]
    InvalidOrigin {
        /// The value as given.
        value: String,
    },
}

/// A browser origin (scheme, host and port), normalised as browsers send it in `Origin`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AllowedOrigin(String);

impl AllowedOrigin {
    /// Parses an origin or any URL of it (`https://crm.example.com`, `http://127.0.0.1:5176/app`).
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidOrigin {
            value: raw.to_owned(),
        };
        let url = Url::parse(raw.trim()).map_err(|_| invalid())?;
        Self::of_url(&url).ok_or_else(invalid)
    }

    /// The origin of an `http` or `https` URL; `None` for other schemes.
    pub fn of_url(url: &Url) -> Option<Self> {
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        let origin = url.origin();
        origin
            .is_tuple()
            .then(|| Self(origin.ascii_serialization()))
    }

    /// The origin as text, e.g. `https://crm.example.com`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a comma- or space-separated list of origins, as in `PULSE_CORS_ORIGINS`.
pub fn parse_origin_list(raw: &str) -> Result<Vec<AllowedOrigin>, ConfigError> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .map(AllowedOrigin::parse)
        .collect()
}

/// Parses `PULSE_TRUSTED_PROXIES`: comma-separated addresses (`10.0.0.7`) or CIDR blocks
/// (`10.0.0.0/8`, `fd00::/8`).
pub fn parse_trusted_proxies(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| format!("'{entry}' is neither an IP address nor a CIDR block"))
        })
        .collect()
}

/// How many failed authentication attempts one client address may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthFailureLimit {
    /// Failures allowed in one window; the next failure from that client gets 429 (a valid key is
    /// always let in).
    pub max_failures: u32,
    /// The window's length.
    pub window: Duration,
}

impl Default for AuthFailureLimit {
    fn default() -> Self {
        Self {
            max_failures: 20,
            window: Duration::from_secs(60),
        }
    }
}

/// The API's settings.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The URL the server is reached at; its origin is always a valid OAuth `return_to`.
    pub public_base_url: Url,
    /// Origins allowed to call the API from a browser (CORS) and to be OAuth `return_to` targets.
    pub cors_origins: Vec<AllowedOrigin>,
    /// `PULSE_ADMIN_API_KEY`: accepted as an admin key in addition to the stored keys.
    pub admin_api_key: Option<Secret>,
    /// The largest accepted request body, in bytes.
    pub body_limit_bytes: usize,
    /// The rate limit on failed authentication attempts per client address.
    pub auth_failure_limit: AuthFailureLimit,
    /// How long a started Google consent stays valid.
    pub oauth_state_ttl: Duration,
    /// `PULSE_TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the client address.
    pub trusted_proxies: Vec<IpNet>,
    /// `PULSE_WEBHOOK_ALLOW_PRIVATE`: accept webhook endpoints on loopback and private addresses.
    pub webhook_allow_private: bool,
}

impl ApiConfig {
    /// Settings for a server reached at `public_base_url`, with the defaults for everything else
    /// (no CORS origins, no admin key, 64 KiB bodies, 20 failed attempts a minute, 10-minute consents).
    pub fn new(public_base_url: Url) -> Self {
        Self {
            public_base_url,
            cors_origins: Vec::new(),
            admin_api_key: None,
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
            auth_failure_limit: AuthFailureLimit::default(),
            oauth_state_ttl: DEFAULT_OAUTH_STATE_TTL,
            trusted_proxies: Vec::new(),
            webhook_allow_private: false,
        }
    }

    /// The server's own origin, when its base URL is `http` or `https`.
    pub fn own_origin(&self) -> Option<AllowedOrigin> {
        AllowedOrigin::of_url(&self.public_base_url)
    }

    /// Whether a browser on `origin` may call the API (only the configured CORS origins).
    pub(crate) fn allows_cors(&self, origin: &AllowedOrigin) -> bool {
        self.cors_origins.contains(origin)
    }

    /// Whether the browser may be sent back to `url` after the Google consent.
    pub(crate) fn allows_return_to(&self, url: &Url) -> bool {
        let Some(origin) = AllowedOrigin::of_url(url) else {
            return false;
        };
        self.own_origin().as_ref() == Some(&origin) || self.allows_cors(&origin)
    }
}
