//! The database a command runs against: `DATABASE_URL`, or the local PostgreSQL of
//! `PULSE_DATA_DIR` (kept between runs), which pulse-sync starts itself or joins when another
//! command already runs it, and which stops when the last command using it ends.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pulse_domain::Secret;
use pulse_storage::local_cluster::LocalCluster;
use pulse_storage::migrations::pending_versions;
use pulse_storage::{
    KeyRing, PgStore, PoolSettings, SessionSettings, StorageError, build_pool, run_migrations,
};

use crate::error::CliError;
use crate::settings::DatabaseArgs;
use crate::settings::variables::DATABASE_URL;

/// The database of the local cluster.
const LOCAL_DATABASE: &str = "postgres";

/// A database URL, and the local cluster behind it when pulse-sync started one.
#[derive(Debug)]
pub struct Database {
    url: Secret,
    local: Option<LocalCluster>,
    data_dir: PathBuf,
    session: SessionSettings,
}

impl Database {
    /// `DATABASE_URL` when set; else starts (creating it on first use) the local cluster.
    pub async fn open(args: &DatabaseArgs) -> Result<Self, CliError> {
        if let Some(url) = args.url() {
            return Ok(Self {
                url: Secret::new(url),
                local: None,
                data_dir: args.data_dir.clone(),
                session: args.session(),
            });
        }
        let data_dir = args.data_dir.clone();
        tracing::info!(data_dir = %data_dir.display(), "{DATABASE_URL} is not set: starting the local PostgreSQL");
        let started = data_dir.clone();
        let cluster = tokio::task::spawn_blocking(move || LocalCluster::start(&started))
            .await
            .map_err(|error| CliError::Task(error.to_string()))??;
        Ok(Self {
            url: Secret::new(cluster.database_url(LOCAL_DATABASE)),
            local: Some(cluster),
            data_dir,
            session: args.session(),
        })
    }

    /// The connection URL (it may carry a password: never log it).
    pub fn url(&self) -> &str {
        self.url.expose()
    }

    /// The session settings of every connection (pooler, timeouts).
    pub fn session(&self) -> SessionSettings {
        self.session
    }

    /// Whether this is the local cluster pulse-sync started.
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    /// The data directory (`PULSE_DATA_DIR`).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where the database is, for logs and messages, without credentials.
    pub fn describe(&self) -> String {
        if self.is_local() {
            format!("the local PostgreSQL in {}", self.data_dir.display())
        } else {
            format!("{DATABASE_URL} ({})", redacted_location(self.url.expose()))
        }
    }

    /// Applies the pending migrations and logs what ran.
    pub async fn migrate(&self) -> Result<(), CliError> {
        let report = run_migrations(self.url.expose()).await?;
        if report.is_noop() {
            tracing::info!("database schema is up to date");
        } else {
            tracing::info!(applied = report.applied.len(), versions = %report.applied.join(", "), "database migrations applied");
        }
        Ok(())
    }

    /// Makes sure the schema is current before a command uses it: the local cluster is migrated
    /// on the spot; a `DATABASE_URL` with pending migrations is refused (run `pulse-sync migrate`).
    pub async fn ensure_schema(&self) -> Result<(), CliError> {
        if self.is_local() {
            return self.migrate().await;
        }
        let pool = build_pool(self.url.expose(), small_pool(self.session))?;
        let pending = pending_versions(&pool).await?;
        if pending.is_empty() {
            Ok(())
        } else {
            Err(CliError::NotMigrated {
                pending: pending.len(),
            })
        }
    }

    /// A store over a new pool of `max_size` connections, sealing secrets with `keys`.
    pub fn store(&self, max_size: usize, keys: KeyRing) -> Result<PgStore, StorageError> {
        let settings = PoolSettings {
            max_size,
            session: self.session,
            ..PoolSettings::default()
        };
        PgStore::connect(self.url.expose(), settings, keys)
    }

    /// Ends this process's use of the local cluster, if it uses one: the server stops unless
    /// other processes still use it (dropping does the same, blocking).
    pub async fn close(mut self) {
        if let Some(cluster) = self.local.take() {
            // The cluster logs whether it stopped the server or left it to other processes.
            let stopped = tokio::task::spawn_blocking(move || cluster.stop()).await;
            match stopped {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    tracing::warn!(%error, "could not stop the local PostgreSQL");
                }
                Err(error) => tracing::warn!(%error, "could not stop the local PostgreSQL"),
            }
        }
    }
}

/// A pool for one short check.
fn small_pool(session: SessionSettings) -> PoolSettings {
    PoolSettings {
        max_size: 1,
        wait_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(10),
        session,
    }
}

/// `host:port/database` of a URL, without user, password or query.
fn redacted_location(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let location = rest.rsplit_once('@').map_or(rest, |(_, location)| location);
    if location.is_empty() {
        "local socket".to_owned()
    } else {
        location.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::redacted_location;

    #[test]
    fn locations_drop_credentials_and_parameters() {
        assert_eq!(
            redacted_location("postgres://user:s3cret@db.example:5432/pulse?sslmode=require"),
            "db.example:5432/pulse"
        );
        assert_eq!(
            redacted_location("postgres://postgres@127.0.0.1:5432/postgres"),
            "127.0.0.1:5432/postgres"
        );
        assert_eq!(redacted_location("postgres://p@ss:w@rd@host/db"), "host/db");
    }
}
