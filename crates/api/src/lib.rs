//! The HTTP API of pulse-sync on actix-web: auto-sync settings, manual syncs and their jobs, synced
//! profiles, the Google connect flow, health, readiness, Prometheus metrics and the OpenAPI document.
//!
//! The handlers are generic over the domain's ports ([`ApiStore`], [`GoogleAuthorizer`]); the server
//! mounts them with [`configure`] (or builds a whole [`app`]) and hands in an [`ApiState`].

mod auth;
pub mod config;
mod cors;
pub mod error;
mod extract;
mod handlers;
pub mod openapi;
pub mod readiness;
mod routes;
mod security_headers;
pub mod state;
pub mod telemetry;
mod views;

pub use auth::keys::{
    API_KEY_PREFIX, GeneratedKey, KeyGenerationError, generate_api_key, hash_api_key,
};
pub use config::{
    AllowedOrigin, ApiConfig, AuthFailureLimit, ConfigError, parse_origin_list,
    parse_trusted_proxies,
};
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use ipnet::IpNet;
pub use openapi::openapi_document;
pub use pulse_domain::ports::GoogleAuthorizer;
pub use readiness::{NotReady, ReadinessProbe};
pub use routes::{app, configure, configure_with};
pub use state::{ApiState, ApiStore};
pub use telemetry::{MetricsError, install_metrics_recorder};
