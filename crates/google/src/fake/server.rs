//! `FakeGoogle`: starts the fake on a loopback port (its own thread and runtime, so any test or
//! program can start it), reports its URLs, and offers the control interface as methods.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use pulse_domain::Secret;
use reqwest::Url;

use crate::config::{GoogleConfig, env};
use crate::error::ConfigError;
use crate::fake::FakeError;
use crate::fake::contact::{FakeContact, StoredContact};
use crate::fake::dataset::{Dataset, seed_account};
use crate::fake::faults::{Fault, FaultTarget};
use crate::fake::world::{
    AuthorizeMode, FakeEndpoint, IssuedSecrets, RequestCount, SYNC_TOKEN_LIFETIME, SharedWorld,
    World, lock,
};
use crate::fake::{control_routes, oauth_routes, people_routes};

/// The account id of the seed's account, present unless the options leave it out.
pub const SEED_ACCOUNT: &str = "seed@example.com";

/// How to start the fake.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// The OAuth client id it accepts.
    pub client_id: String,
    /// The OAuth client secret it accepts.
    pub client_secret: String,
    /// Accounts to create, with their data sets.
    pub accounts: Vec<(String, Dataset)>,
    /// What the consent page does.
    pub authorize_mode: AuthorizeMode,
    /// `expires_in` of issued access tokens.
    pub access_token_ttl: Duration,
    /// The largest page returned, whatever `pageSize` asks (Google's is 1000).
    pub page_size_cap: u32,
    /// How long sync tokens stay valid (Google: 7 days).
    pub sync_token_ttl: Duration,
    /// The loopback port; 0 picks a free one.
    pub port: u16,
    /// Server worker threads.
    pub workers: usize,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            client_id: "fake-client-id.apps.googleusercontent.com".to_owned(),
            client_secret: "fake-client-secret".to_owned(),
            accounts: vec![(SEED_ACCOUNT.to_owned(), seed_account())],
            authorize_mode: AuthorizeMode::Consent {
                account: SEED_ACCOUNT.to_owned(),
            },
            access_token_ttl: Duration::from_secs(3599),
            page_size_cap: 1000,
            sync_token_ttl: SYNC_TOKEN_LIFETIME,
            port: 0,
            workers: 2,
        }
    }
}

impl FakeOptions {
    /// Adds an account.
    pub fn with_account(mut self, account: &str, dataset: Dataset) -> Self {
        self.accounts.push((account.to_owned(), dataset));
        self
    }

    /// Caps the page size (to get several pages from small accounts).
    pub fn with_page_size_cap(mut self, cap: u32) -> Self {
        self.page_size_cap = cap;
        self
    }

    /// Sets `expires_in` of issued access tokens.
    pub fn with_access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = ttl;
        self
    }
}

/// A running fake Google; dropping it stops the server.
pub struct FakeGoogle {
    base_url: String,
    client_id: String,
    client_secret: String,
    world: SharedWorld,
    server: ServerHandle,
}

impl std::fmt::Debug for FakeGoogle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeGoogle")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl FakeGoogle {
    /// Starts the fake on 127.0.0.1 in its own thread; returns once it listens.
    pub fn start(options: FakeOptions) -> Result<Self, FakeError> {
        let mut world = World::new(
            &options.client_id,
            &options.client_secret,
            options.authorize_mode.clone(),
        );
        world.access_token_ttl = options.access_token_ttl;
        world.page_size_cap = options.page_size_cap.max(1);
        world.sync_token_ttl = options.sync_token_ttl;
        for (account, dataset) in &options.accounts {
            world.add_account(account, *dataset);
        }
        let world: SharedWorld = Arc::new(Mutex::new(world));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let data = web::Data::from(world.clone());
        let workers = options.workers.max(1);
        let port = options.port;
        std::thread::Builder::new()
            .name("fake-google".to_owned())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let bound = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .configure(oauth_routes::configure)
                            .configure(people_routes::configure)
                            .configure(control_routes::configure)
                    })
                    .workers(workers)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .bind(("127.0.0.1", port));
                    let server = match bound {
                        Ok(server) => server,
                        Err(error) => {
                            let _ = ready_tx.send(Err(error.to_string()));
                            return;
                        }
                    };
                    let Some(address) = server.addrs().first().copied() else {
                        let _ = ready_tx.send(Err("bound to no address".to_owned()));
                        return;
                    };
                    let server = server.run();
                    let _ = ready_tx.send(Ok((address, server.handle())));
                    if let Err(error) = server.await {
                        tracing::warn!(%error, "the fake Google stopped with an error");
                    }
                });
            })
            .map_err(|error| FakeError::Start(error.to_string()))?;
        let (address, server) = ready_rx
            .recv()
            .map_err(|_| FakeError::Start("the server thread ended early".to_owned()))?
            .map_err(FakeError::Start)?;
        Ok(Self {
            base_url: format!("http://{address}"),
            client_id: options.client_id,
            client_secret: options.client_secret,
            world,
            server,
        })
    }

    /// Stops the server (also done on drop).
    pub fn stop(&self) {
        // The stop command is sent at once; the returned future only waits for completion.
        drop(self.server.stop(false));
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The consent page (`GOOGLE_AUTH_URL`).
    pub fn auth_url(&self) -> String {
        format!("{}{}", self.base_url, oauth_routes::AUTHORIZE_PATH)
    }

    /// The token endpoint (`GOOGLE_TOKEN_URL`).
    pub fn token_url(&self) -> String {
        format!("{}{}", self.base_url, oauth_routes::TOKEN_PATH)
    }

    /// The revocation endpoint (`GOOGLE_REVOKE_URL`).
    pub fn revoke_url(&self) -> String {
        format!("{}{}", self.base_url, oauth_routes::REVOKE_PATH)
    }

    /// The People API base URL (`GOOGLE_PEOPLE_API_URL`).
    pub fn people_api_url(&self) -> String {
        self.base_url.clone()
    }

    /// The OAuth client id the fake accepts.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The environment variables that point a pulse-sync process at this fake.
    pub fn env_vars(&self, redirect_url: &str) -> Vec<(&'static str, String)> {
        vec![
            (env::CLIENT_ID, self.client_id.clone()),
            (env::CLIENT_SECRET, self.client_secret.clone()),
            (env::REDIRECT_URL, redirect_url.to_owned()),
            (env::AUTH_URL, self.auth_url()),
            (env::TOKEN_URL, self.token_url()),
            (env::REVOKE_URL, self.revoke_url()),
            (env::PEOPLE_API_URL, self.people_api_url()),
        ]
    }

    /// A client configuration pointed at this fake (default limits, retries and timeouts).
    pub fn client_config(&self, redirect_url: &str) -> Result<GoogleConfig, ConfigError> {
        let mut config = GoogleConfig::new(
            self.client_id.clone(),
            Secret::new(self.client_secret.clone()),
            redirect_url,
        )?;
        let url = |name: &'static str, value: String| {
            Url::parse(&value).map_err(|error| ConfigError::Invalid {
                variable: name,
                reason: error.to_string(),
            })
        };
        config.auth_url = url(env::AUTH_URL, self.auth_url())?;
        config.token_url = url(env::TOKEN_URL, self.token_url())?;
        config.revoke_url = url(env::REVOKE_URL, self.revoke_url())?;
        config.people_api_url = url(env::PEOPLE_API_URL, self.people_api_url())?;
        Ok(config)
    }

    // ----- control -----

    /// Creates (or replaces) an account.
    pub fn add_account(&self, account: &str, dataset: Dataset) {
        lock(&self.world).add_account(account, dataset);
    }

    /// Pre-creates a grant for an account (no browser consent); returns its refresh token.
    pub fn grant(&self, account: &str) -> Result<Secret, FakeError> {
        lock(&self.world).create_grant(account).map(Secret::new)
    }

    /// Adds a contact; returns its resource name.
    pub fn add_contact(&self, account: &str, contact: FakeContact) -> Result<String, FakeError> {
        Ok(lock(&self.world).account_mut(account)?.add(contact))
    }

    /// Replaces a contact's fields.
    pub fn edit_contact(
        &self,
        account: &str,
        resource_name: &str,
        contact: FakeContact,
    ) -> Result<(), FakeError> {
        lock(&self.world)
            .account_mut(account)?
            .edit(resource_name, contact)
    }

    /// Deletes a contact.
    pub fn delete_contact(&self, account: &str, resource_name: &str) -> Result<(), FakeError> {
        lock(&self.world)
            .account_mut(account)?
            .delete(resource_name)
    }

    /// Gives a contact a new resource name; returns it.
    pub fn rename_contact(&self, account: &str, resource_name: &str) -> Result<String, FakeError> {
        lock(&self.world)
            .account_mut(account)?
            .rename(resource_name)
    }

    /// Every live contact of an account, in listing order.
    pub fn contacts(&self, account: &str) -> Result<Vec<StoredContact>, FakeError> {
        Ok(lock(&self.world).account(account)?.contacts())
    }

    /// One live contact.
    pub fn contact(&self, account: &str, resource_name: &str) -> Result<StoredContact, FakeError> {
        lock(&self.world).account(account)?.get(resource_name)
    }

    /// How many live contacts an account has.
    pub fn contact_count(&self, account: &str) -> Result<u64, FakeError> {
        Ok(lock(&self.world).account(account)?.live_count())
    }

    /// Revokes the grant of a refresh token.
    pub fn revoke_grant(&self, refresh_token: &Secret) -> Result<(), FakeError> {
        lock(&self.world)
            .revoke_grant(refresh_token.expose())
            .then_some(())
            .ok_or(FakeError::UnknownGrant)
    }

    /// Revokes every grant of an account; returns how many.
    pub fn revoke_account_grants(&self, account: &str) -> usize {
        lock(&self.world).revoke_account_grants(account)
    }

    /// Expires every access token issued so far.
    pub fn expire_access_tokens(&self) {
        lock(&self.world).expire_access_tokens();
    }

    /// Expires every sync token of an account; returns how many.
    pub fn expire_sync_tokens(&self, account: &str) -> usize {
        lock(&self.world).expire_sync_tokens(account)
    }

    /// Injects `fault` into the next `times` People API calls.
    pub fn inject_fault(&self, fault: Fault, times: u32) {
        self.inject_fault_at(FaultTarget::People, fault, times);
    }

    /// Injects `fault` into the next `times` calls to `target`.
    pub fn inject_fault_at(&self, target: FaultTarget, fault: Fault, times: u32) {
        lock(&self.world).faults.push(target, fault, times);
    }

    /// Injects `fault` into the next `times` calls to `target` made for `account` only.
    pub fn inject_fault_for(&self, account: &str, target: FaultTarget, fault: Fault, times: u32) {
        lock(&self.world)
            .faults
            .push_for(target, Some(account.to_owned()), fault, times);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.world).faults.clear();
    }

    /// Sets what the consent page does.
    pub fn set_authorize_mode(&self, mode: AuthorizeMode) {
        lock(&self.world).authorize_mode = mode;
    }

    /// Sets `expires_in` of access tokens issued from now on.
    pub fn set_access_token_ttl(&self, ttl: Duration) {
        lock(&self.world).access_token_ttl = ttl;
    }

    /// Caps the page size from now on.
    pub fn set_page_size_cap(&self, cap: u32) {
        lock(&self.world).page_size_cap = cap.max(1);
    }

    /// Requests to `endpoint` for `account`.
    pub fn request_count(&self, account: &str, endpoint: FakeEndpoint) -> u64 {
        lock(&self.world).request_count(account, endpoint)
    }

    /// Requests to `endpoint`, whatever the account.
    pub fn total_requests(&self, endpoint: FakeEndpoint) -> u64 {
        lock(&self.world).total_requests(endpoint)
    }

    /// Every request count.
    pub fn request_counts(&self) -> Vec<RequestCount> {
        lock(&self.world).request_counts()
    }

    /// Forgets the request counts.
    pub fn reset_request_counts(&self) {
        lock(&self.world).reset_counts();
    }

    /// Every secret the fake has issued or been sent, for tests that check none of them leaks.
    pub fn issued_secrets(&self) -> IssuedSecrets {
        lock(&self.world).issued_secrets()
    }
}

impl Drop for FakeGoogle {
    fn drop(&mut self) {
        self.stop();
    }
}
