//! Per-test databases: each [`TestDatabase`] is a fresh database cloned from a migrated template,
//! so tests run in parallel (threads and processes) and never see each other's rows.
//!
//! The server is `DATABASE_URL` when set; otherwise a [`LocalCluster`](crate::local_cluster)
//! started once per process under the temporary directory.

mod database_url;
mod server;
mod template;

use diesel::ConnectionError;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};

pub use database_url::with_database;

use crate::crypto::{EncryptionKey, KeyRing, generate_key};
use crate::error::StorageError;
use crate::local_cluster::LocalClusterError;
use crate::pool::{PgPool, PoolSettings, build_pool};
use crate::store::PgStore;

/// Set to keep the test databases after the tests (for inspecting them).
pub const KEEP_DATABASES_VAR: &str = "PULSE_KEEP_TEST_DATABASES";

/// Why a test database could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TestDatabaseError {
    /// No `DATABASE_URL`, and the local cluster did not start.
    #[error("no DATABASE_URL and the local PostgreSQL did not start: {0}")]
    Cluster(#[from] LocalClusterError),
    /// The server refused a connection.
    #[error("cannot connect to the test server: {0}")]
    Connect(#[from] ConnectionError),
    /// A statement or the migrations failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The shared setup of this process failed earlier (the first error is repeated).
    #[error("the test database server could not be prepared: {0}")]
    Setup(String),
}

impl From<crate::connection::ConnectError> for TestDatabaseError {
    fn from(error: crate::connection::ConnectError) -> Self {
        Self::Storage(StorageError::Connection(error))
    }
}

impl From<diesel::result::Error> for TestDatabaseError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Storage(StorageError::Query(error))
    }
}

/// A fresh, migrated database of its own for one test; dropped (best effort) on drop.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    admin_url: String,
}

impl TestDatabase {
    /// Creates a fresh database cloned from this process's migrated template.
    pub async fn create() -> Result<Self, TestDatabaseError> {
        let shared = server::shared()?;
        Self::create_from(shared, &shared.template).await
    }

    /// Creates a fresh empty database (no migrations applied), for testing the migrations.
    pub async fn create_empty() -> Result<Self, TestDatabaseError> {
        Self::create_from(server::shared()?, "template0").await
    }

    async fn create_from(
        shared: &server::Shared,
        template: &str,
    ) -> Result<Self, TestDatabaseError> {
        let name = format!("pulse_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = crate::connection::establish(&shared.admin_url).await?;
        admin
            .batch_execute(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .await
            .map_err(StorageError::Query)?;
        Ok(Self {
            url: shared.database_url(&name),
            name,
            admin_url: shared.admin_url.clone(),
        })
    }

    /// Like [`TestDatabase::create`], for tests: panics with the reason when it fails.
    pub async fn new() -> Self {
        match Self::create().await {
            Ok(database) => database,
            Err(error) => panic!("cannot create a test database: {error}"),
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A small pool on this database.
    pub fn pool(&self) -> PgPool {
        let settings = PoolSettings {
            max_size: 8,
            ..PoolSettings::default()
        };
        match build_pool(&self.url, settings) {
            Ok(pool) => pool,
            Err(error) => panic!("cannot build a pool for the test database: {error}"),
        }
    }

    /// A store on this database (its own small pool) sealing with a fresh random key.
    pub fn store(&self) -> PgStore {
        PgStore::new(self.pool(), Self::key_ring())
    }

    /// A key ring with a fresh random key.
    pub fn key_ring() -> KeyRing {
        match EncryptionKey::from_base64(&generate_key()) {
            Ok(key) => KeyRing::new(key),
            Err(error) => panic!("a generated key must load: {error}"),
        }
    }

    /// A connection of its own to this database.
    pub async fn connect(&self) -> AsyncPgConnection {
        match crate::connection::establish(&self.url).await {
            Ok(connection) => connection,
            Err(error) => panic!("cannot connect to the test database: {error}"),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::env::var_os(KEEP_DATABASES_VAR).is_some() {
            return;
        }
        let name = std::mem::take(&mut self.name);
        let admin_url = std::mem::take(&mut self.admin_url);
        // Drop may run inside an async runtime, which must not be blocked on: use a thread of
        // its own with a runtime of its own, and wait for it (the drop is quick).
        let dropper = std::thread::spawn(move || server::drop_database(&admin_url, &name));
        let _ = dropper.join();
    }
}
