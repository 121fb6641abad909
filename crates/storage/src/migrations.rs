//! The embedded migrations (top-level `migrations/` folder) and the functions that apply them.

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::{DatabaseUrl, PoolerMode};
use crate::error::StorageError;
use crate::pool::{PgPool, migration_session};

/// Every migration of the project, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Serialises concurrent migration runs (replicas starting together) on one database.
const MIGRATION_LOCK_KEY: i64 = 0x7075_6c73_655f_6d67;

/// What a migration run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// The versions applied by this run, oldest first; empty when the schema was current.
    pub applied: Vec<String>,
}

impl MigrationReport {
    /// Whether the run changed nothing.
    pub fn is_noop(&self) -> bool {
        self.applied.is_empty()
    }
}

/// The versions of every embedded migration, oldest first.
pub fn embedded_versions() -> Result<Vec<String>, StorageError> {
    let migrations = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|error| StorageError::Migration(error.to_string()))?;
    let mut versions: Vec<String> = migrations
        .iter()
        .map(|migration| migration.name().version().to_string())
        .collect();
    versions.sort();
    Ok(versions)
}

/// Applies the pending migrations to `database_url` and reports which ran.
///
/// The whole run is one transaction holding a transaction-scoped advisory lock, with no named
/// statement outliving it, so it works on a direct connection and through a transaction pooler
/// alike, concurrent runs (replicas starting together) wait for each other, and a failed run
/// leaves the schema as it was. Works on any tokio runtime (current-thread included): the
/// synchronous migration harness runs on a blocking thread.
pub async fn run_migrations(database_url: &str) -> Result<MigrationReport, StorageError> {
    let url = DatabaseUrl::parse(database_url)?;
    // Statement caching off whatever the pooler: the run is short, and nothing it prepares
    // must outlive its transaction on a server connection a pooler hands to someone else.
    let connection = url
        .connect_diesel(&migration_session(PoolerMode::Transaction))
        .await?;
    tokio::task::spawn_blocking(move || run_migrations_blocking(connection))
        .await
        .map_err(|error| StorageError::Task(error.to_string()))?
}

fn run_migrations_blocking(connection: AsyncPgConnection) -> Result<MigrationReport, StorageError> {
    let mut connection = AsyncConnectionWrapper::<AsyncPgConnection>::from(connection);
    connection.transaction(|connection| {
        connection.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
        ))?;
        connection
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| MigrationReport {
                applied: versions.iter().map(ToString::to_string).collect(),
            })
            .map_err(|error| StorageError::Migration(error.to_string()))
    })
}

#[derive(QueryableByName)]
struct AppliedVersion {
    #[diesel(sql_type = Text)]
    version: String,
}

/// The embedded migrations not yet applied to the pool's database (all of them on an empty one).
pub async fn pending_versions(pool: &PgPool) -> Result<Vec<String>, StorageError> {
    let mut connection = pool.unit().await?;
    let table: Vec<AppliedVersion> = diesel::sql_query(
        "SELECT coalesce(to_regclass('__diesel_schema_migrations')::text, '') AS version",
    )
    .load(&mut *connection)
    .await?;
    let applied: Vec<String> = if table.iter().any(|row| !row.version.is_empty()) {
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load::<AppliedVersion>(&mut *connection)
            .await?
            .into_iter()
            .map(|row| row.version)
            .collect()
    } else {
        Vec::new()
    };
    connection.commit().await?;
    Ok(embedded_versions()?
        .into_iter()
        .filter(|version| !applied.contains(version))
        .collect())
}
