//! Databases for the benchmarks: fresh migrated databases (from the storage crate's test helper:
//! `DATABASE_URL`, or the local cluster) and plain SQL connections to them.

use pulse_storage::testing::TestDatabase;
use pulse_storage::{KeyRing, PgStore, PoolSettings, PoolerMode, build_pool};
use tokio_postgres::Client;

use crate::error::BenchError;

/// A fresh migrated database of its own (dropped with the value).
pub async fn fresh_database() -> Result<TestDatabase, BenchError> {
    Ok(TestDatabase::create().await?)
}

/// A fresh database with no tables (for a peer that brings its own schema).
pub async fn empty_database() -> Result<TestDatabase, BenchError> {
    Ok(TestDatabase::create_empty().await?)
}

/// A plain SQL connection (its driver task runs on the current runtime).
pub async fn connect(url: &str) -> Result<Client, BenchError> {
    Ok(pulse_storage::connection::connect_client(url)
        .await
        .map_err(pulse_storage::StorageError::from)?)
}

/// The variable that runs the in-process benchmarks in the transaction-pooler mode (the API
/// benchmark's `pulse-sync serve` reads it itself), to measure what that mode costs.
const POOLER_VAR: &str = "PULSE_DATABASE_POOLER";

/// A store on `database` with the production pool settings, sealing with `keys`; in the pooler
/// mode `PULSE_DATABASE_POOLER` names (the service's default when unset).
pub fn production_store(database: &TestDatabase, keys: KeyRing) -> Result<PgStore, BenchError> {
    production_store_sized(database, keys, PoolSettings::default().max_size)
}

/// [`production_store`] with a pool of at least `max_connections` connections (the production
/// pool size when that is larger), for a scheduler with more workers than the default.
pub fn production_store_sized(
    database: &TestDatabase,
    keys: KeyRing,
    max_connections: usize,
) -> Result<PgStore, BenchError> {
    let pooler = match std::env::var(POOLER_VAR) {
        Ok(text) => PoolerMode::parse(&text)
            .ok_or_else(|| BenchError::Invalid(format!("{POOLER_VAR}={text:?} is not a mode")))?,
        Err(_) => PoolerMode::default(),
    };
    let mut settings = PoolSettings::default();
    settings.session.pooler = pooler;
    settings.max_size = max_connections.max(settings.max_size);
    let pool = build_pool(database.url(), settings)?;
    Ok(PgStore::new(pool, keys))
}

/// One number from a query.
pub async fn count(client: &Client, query: &str) -> Result<i64, BenchError> {
    Ok(client.query_one(query, &[]).await?.get(0))
}

/// Runs `VACUUM ANALYZE` on each table, so every round starts without the previous one's dead rows.
pub async fn vacuum(client: &Client, tables: &[&str]) -> Result<(), BenchError> {
    for table in tables {
        client
            .batch_execute(&format!("VACUUM ANALYZE {table}"))
            .await?;
    }
    Ok(())
}
