//! The fake Google for the benchmarks: started in-process on loopback with one generated account,
//! a client pointed at it with quotas out of the way (the benchmarks measure pulse-sync, not
//! Google's per-user request quota), and users connected to it with a grant made without a browser.

use std::num::NonZeroU32;

use chrono::Utc;
use pulse_domain::ports::ConnectionRepository;
use pulse_domain::{NewConnection, UserId};
use pulse_google::fake::{Dataset, FakeGoogle, FakeOptions};
use pulse_google::{CONTACTS_READONLY_SCOPE, GoogleClient, GoogleConfig, RateLimitConfig};
use pulse_storage::PgStore;

use crate::error::BenchError;

/// The redirect URL registered with the fake (never followed: grants are made directly).
pub const REDIRECT_URL: &str = "http://127.0.0.1:9/callback";

/// The generator seed of every benchmark account, so runs list the same contacts.
pub const ACCOUNT_SEED: u64 = 0xBE7C_2026;

/// Starts a fake Google with no accounts but `accounts`.
pub fn start_fake(accounts: &[(&str, Dataset)]) -> Result<FakeGoogle, BenchError> {
    let mut options = FakeOptions {
        accounts: Vec::new(),
        ..FakeOptions::default()
    };
    for (account, dataset) in accounts {
        options = options.with_account(account, *dataset);
    }
    Ok(FakeGoogle::start(options)?)
}

/// Request limits high enough never to be waited on.
pub fn unlimited_rate_limits() -> RateLimitConfig {
    let many = NonZeroU32::new(1_000_000).unwrap_or(NonZeroU32::MAX);
    RateLimitConfig {
        project_rpm: many,
        project_burst: many,
        user_rpm: many,
        user_burst: many,
    }
}

/// The client configuration for `fake`, with the production defaults except the quotas.
pub fn client_config(fake: &FakeGoogle) -> Result<GoogleConfig, BenchError> {
    let mut config = fake.client_config(REDIRECT_URL)?;
    config.rate_limits = unlimited_rate_limits();
    Ok(config)
}

/// A Google client for `fake` (see [`client_config`]).
pub fn client(fake: &FakeGoogle) -> Result<GoogleClient, BenchError> {
    Ok(GoogleClient::new(&client_config(fake)?)?)
}

/// The environment that points a `pulse-sync` process at `fake` with the quotas out of the way.
pub fn process_env(fake: &FakeGoogle) -> Vec<(&'static str, String)> {
    let mut vars = fake.env_vars(REDIRECT_URL);
    let many = "1000000".to_owned();
    for name in [
        pulse_google::env::RPM,
        pulse_google::env::USER_RPM,
        pulse_google::env::BURST,
        pulse_google::env::USER_BURST,
    ] {
        vars.push((name, many.clone()));
    }
    vars
}

/// Connects `user` to the fake's `account` with a fresh grant stored in `store`.
pub async fn connect_user(
    store: &PgStore,
    fake: &FakeGoogle,
    user: &UserId,
    account: &str,
) -> Result<(), BenchError> {
    let connection = NewConnection {
        user_id: user.clone(),
        google_account_id: Some(account.to_owned()),
        google_email: None,
        refresh_token: fake.grant(account)?,
        access_token_expires_at: None,
        scopes: vec![CONTACTS_READONLY_SCOPE.to_owned()],
    };
    store.save_connection(&connection, Utc::now()).await?;
    Ok(())
}

/// `raw` as a user id.
pub fn user_id(raw: &str) -> Result<UserId, BenchError> {
    UserId::parse(raw).map_err(|error| BenchError::Invalid(format!("user id {raw:?}: {error}")))
}
