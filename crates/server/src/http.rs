//! The HTTP side of the server: binding `PULSE_BIND`, the server's public URL, the API's settings
//! and state, and the actix server that serves the API and the settings page.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer};
use pulse_api::{ApiConfig, ApiState, AuthFailureLimit, install_metrics_recorder};
use pulse_google::GoogleClient;
use pulse_storage::PgStore;
use url::Url;

use crate::assets;
use crate::error::CliError;
use crate::readiness::StoreReadiness;
use crate::settings::admin_key::admin_key_from_environment;
use crate::settings::variables::PULSE_PUBLIC_URL;
use crate::settings::{HttpArgs, SettingsError};

/// The window of the failed-authentication limit.
const AUTH_FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// A listening socket and the address it is bound to (the real port when `PULSE_BIND` used 0).
#[derive(Debug)]
pub struct BoundHttp {
    listener: TcpListener,
    address: SocketAddr,
}

impl BoundHttp {
    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

/// Binds `address`; the kernel queues connections until the server starts.
pub fn bind(address: SocketAddr) -> Result<BoundHttp, CliError> {
    let listener =
        TcpListener::bind(address).map_err(|source| CliError::Bind { address, source })?;
    let address = listener
        .local_addr()
        .map_err(|source| CliError::Bind { address, source })?;
    Ok(BoundHttp { listener, address })
}

/// `PULSE_PUBLIC_URL`, or `http://` and the bound address (loopback for an unspecified one).
pub fn public_url(configured: Option<&Url>, bound: SocketAddr) -> Result<Url, SettingsError> {
    if let Some(url) = configured {
        return Ok(url.clone());
    }
    let host = match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let address = SocketAddr::new(host, bound.port());
    Url::parse(&format!("http://{address}")).map_err(|error| SettingsError::Invalid {
        variable: PULSE_PUBLIC_URL,
        reason: format!("no URL can be made of the bound address {address}: {error}"),
    })
}

/// The API's settings from the command line and the admin key from the environment.
pub fn api_config(
    args: &HttpArgs,
    public_url: Url,
    webhook_allow_private: bool,
) -> Result<ApiConfig, SettingsError> {
    let mut config = ApiConfig::new(public_url);
    config.webhook_allow_private = webhook_allow_private;
    config.cors_origins = args
        .cors_origins
        .as_ref()
        .map(|origins| origins.0.clone())
        .unwrap_or_default();
    config.admin_api_key = admin_key_from_environment()?;
    config.trusted_proxies = args
        .trusted_proxies
        .as_ref()
        .map(|proxies| proxies.0.clone())
        .unwrap_or_default();
    config.auth_failure_limit = AuthFailureLimit {
        max_failures: args.auth_failure_limit,
        window: AUTH_FAILURE_WINDOW,
    };
    Ok(config)
}

/// The handlers' state over the store and the Google client (installs the metrics recorder).
pub fn api_state(
    store: &PgStore,
    google: &GoogleClient,
    config: ApiConfig,
) -> Result<ApiState<PgStore, GoogleClient>, CliError> {
    let metrics = install_metrics_recorder()?;
    Ok(ApiState::new(
        store.clone(),
        google.clone(),
        config,
        StoreReadiness(store.clone()),
        metrics,
    ))
}

/// Starts serving the API and the settings page on `bound`; stopping the returned server (its
/// handle's `stop(true)`) stops accepting and lets requests finish within `grace`.
pub fn start(
    bound: BoundHttp,
    state: ApiState<PgStore, GoogleClient>,
    grace: Duration,
) -> Result<Server, CliError> {
    let grace_seconds = grace.as_secs().max(1);
    let server = HttpServer::new(move || {
        let state = state.clone();
        App::new()
            .configure(move |config| pulse_api::configure_with(config, state, assets::configure))
    })
    .disable_signals()
    .shutdown_timeout(grace_seconds)
    .listen(bound.listener)
    .map_err(CliError::Http)?
    .run();
    Ok(server)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_follows_the_bound_address() {
        let url = |bound: &str| {
            public_url(None, bound.parse().unwrap())
                .unwrap()
                .to_string()
        };
        assert_eq!(url("127.0.0.1:3003"), "http://127.0.0.1:3003/");
        assert_eq!(url("0.0.0.0:8080"), "http://127.0.0.1:8080/");
        assert_eq!(url("[::]:8080"), "http://[::1]:8080/");
        let configured = Url::parse("https://sync.example.com").unwrap();
        assert_eq!(
            public_url(Some(&configured), "0.0.0.0:1".parse().unwrap())
                .unwrap()
                .as_str(),
            "https://sync.example.com/"
        );
    }
}
