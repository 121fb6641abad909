//! `PgStore`: the one PostgreSQL store behind every storage port; cheap to clone and share.

use diesel::sql_types::Integer;
use diesel_async::RunQueryDsl;

use std::sync::Arc;

use crate::crypto::KeyRing;
use crate::error::StorageError;
use crate::key_cache::KeyCache;
use crate::migrations::pending_versions;
use crate::pool::{PgPool, PoolSettings, build_pool};
use crate::work::Work;

/// The PostgreSQL implementation of the domain's storage ports (configs, connections, OAuth
/// states, API keys, jobs, the queue, profiles and sync runs). Holds the pool, the key ring and
/// the cache of authenticated API keys (shared by every clone).
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    keys: KeyRing,
    key_cache: Arc<KeyCache>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .field("keys", &self.keys)
            .field("key_cache", &self.key_cache)
            .finish()
    }
}

impl PgStore {
    /// A store over an existing pool, sealing secrets with `keys`.
    pub fn new(pool: PgPool, keys: KeyRing) -> Self {
        Self {
            pool,
            keys,
            key_cache: Arc::new(KeyCache::default()),
        }
    }

    /// A store with a new pool on `database_url`; connects lazily.
    pub fn connect(
        database_url: &str,
        settings: PoolSettings,
        keys: KeyRing,
    ) -> Result<Self, StorageError> {
        Ok(Self::new(build_pool(database_url, settings)?, keys))
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The API keys this store authenticated (see [`KeyCache`]).
    pub(crate) fn key_cache(&self) -> &KeyCache {
        &self.key_cache
    }

    /// The key ring secrets are sealed with.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// Checks that the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StorageError> {
        let mut connection = self.unit().await?;
        diesel::select(diesel::dsl::sql::<Integer>("1"))
            .execute(&mut *connection)
            .await?;
        connection.commit().await
    }

    /// The embedded migrations not yet applied to the database (empty when current).
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StorageError> {
        pending_versions(&self.pool).await
    }

    /// A connection for one use case that needs no transaction of its own (see [`PgPool::unit`]).
    pub async fn unit(&self) -> Result<Work, StorageError> {
        self.pool.unit().await
    }

    /// A connection inside a new transaction (see [`PgPool::transaction`]).
    pub async fn transaction(&self) -> Result<Work, StorageError> {
        self.pool.transaction().await
    }
}
