//! The connection pool: deadpool over diesel-async's `AsyncPgConnection` (pure Rust, no libpq).

use std::time::Duration;

use deadpool::Runtime;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool};

use crate::error::StorageError;

/// A pool of PostgreSQL connections.
pub type PgPool = Pool<AsyncPgConnection>;

/// A connection borrowed from the pool.
pub type PooledConnection = Object<AsyncPgConnection>;

/// How large the pool is and how long it waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_size: usize,
    /// How long a caller waits for a free connection before the database counts as unavailable.
    pub wait_timeout: Duration,
    /// How long opening a new connection may take.
    pub connect_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 10,
            wait_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Builds a pool for `database_url`; no connection is opened until one is needed.
pub fn build_pool(database_url: &str, settings: PoolSettings) -> Result<PgPool, StorageError> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(database_url);
    Pool::builder(manager)
        .max_size(settings.max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.connect_timeout))
        .recycle_timeout(Some(settings.connect_timeout))
        .build()
        .map_err(|error| StorageError::Pool(error.to_string()))
}
