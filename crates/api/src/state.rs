//! `ApiState`: the store, the Google authorizer, the settings and the shared helpers every handler
//! reaches through `web::Data`; `ApiStore`: the storage ports the API needs, in one bound.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::PrometheusHandle;
use pulse_domain::ports::{
    ApiKeyRepository, Clock, ConfigRepository, ConnectionRepository, GoogleAuthorizer,
    JobRepository, OAuthStateRepository, ProfileRepository, SystemClock, WebhookStore,
};

use crate::auth::admin_key::AdminKey;
use crate::auth::limiter::AuthFailureLimiter;
use crate::config::ApiConfig;
use crate::readiness::ReadinessProbe;

/// Every storage port the API uses; implemented for any store that implements them all.
pub trait ApiStore:
    ConfigRepository
    + JobRepository
    + ProfileRepository
    + ConnectionRepository
    + OAuthStateRepository
    + ApiKeyRepository
    + WebhookStore
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> ApiStore for T where
    T: ConfigRepository
        + JobRepository
        + ProfileRepository
        + ConnectionRepository
        + OAuthStateRepository
        + ApiKeyRepository
        + WebhookStore
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// What the handlers share: cheap to clone (everything behind `Arc` or already shared).
pub struct ApiState<S, A> {
    pub(crate) store: S,
    pub(crate) authorizer: Arc<A>,
    pub(crate) config: Arc<ApiConfig>,
    pub(crate) readiness: Arc<dyn ReadinessProbe>,
    pub(crate) metrics: PrometheusHandle,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) auth_failures: Arc<AuthFailureLimiter>,
    pub(crate) admin_key: Option<Arc<AdminKey>>,
}

impl<S: ApiStore, A: GoogleAuthorizer + 'static> ApiState<S, A> {
    /// The state for one server; `metrics` comes from [`crate::install_metrics_recorder`].
    pub fn new(
        store: S,
        authorizer: A,
        config: ApiConfig,
        readiness: impl ReadinessProbe,
        metrics: PrometheusHandle,
    ) -> Self {
        let auth_failures = Arc::new(AuthFailureLimiter::new(config.auth_failure_limit));
        let admin_key = config
            .admin_api_key
            .as_ref()
            .map(|key| Arc::new(AdminKey::new(key)));
        Self {
            store,
            authorizer: Arc::new(authorizer),
            config: Arc::new(config),
            readiness: Arc::new(readiness),
            metrics,
            clock: Arc::new(SystemClock),
            auth_failures,
            admin_key,
        }
    }

    /// Replaces the wall clock (tests pin the time with it).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The current time from the state's clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

impl<S: Clone, A> Clone for ApiState<S, A> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            authorizer: Arc::clone(&self.authorizer),
            config: Arc::clone(&self.config),
            readiness: Arc::clone(&self.readiness),
            metrics: self.metrics.clone(),
            clock: Arc::clone(&self.clock),
            auth_failures: Arc::clone(&self.auth_failures),
            admin_key: self.admin_key.clone(),
        }
    }
}
