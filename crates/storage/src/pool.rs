//! The connection pool: deadpool over diesel-async's `AsyncPgConnection` (pure Rust, no libpq),
//! each connection opened by [`DatabaseUrl::connect_diesel`] (TLS, session settings), and the
//! units of work the repositories run their statements in.

use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::Status;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use futures::FutureExt;

use crate::connection::{DatabaseUrl, PoolerMode, SessionSettings, SessionTimeouts};
use crate::error::StorageError;
use crate::work::Work;

/// A connection borrowed from the pool.
pub type PooledConnection = Object<AsyncPgConnection>;

/// How large the pool is, how long it waits, and what its sessions are set up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_size: usize,
    /// How long a caller waits for a free connection before the database counts as unavailable.
    pub wait_timeout: Duration,
    /// How long opening a new connection may take.
    pub connect_timeout: Duration,
    /// The pooler in front of the server, the timeouts and the application name.
    pub session: SessionSettings,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 10,
            wait_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            session: SessionSettings::default(),
        }
    }
}

/// A pool of PostgreSQL connections, and the session rules its connections follow.
#[derive(Clone)]
pub struct PgPool {
    inner: Pool<AsyncPgConnection>,
    session: SessionSettings,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool")
            .field("status", &self.inner.status())
            .field("session", &self.session)
            .finish()
    }
}

impl PgPool {
    /// Borrows a connection as it is (no transaction is opened).
    pub async fn get(&self) -> Result<PooledConnection, StorageError> {
        Ok(self.inner.get().await?)
    }

    /// How many connections exist, are idle, and are waited for.
    pub fn status(&self) -> Status {
        self.inner.status()
    }

    /// The session rules of this pool's connections.
    pub fn session(&self) -> SessionSettings {
        self.session
    }

    /// A connection for work that needs no transaction of its own (one statement): behind a
    /// transaction pooler it still gets one, since only inside a transaction do its statements
    /// stay on one server connection. Finish it with [`Work::commit`].
    pub async fn unit(&self) -> Result<Work, StorageError> {
        match self.session.pooler {
            PoolerMode::Session => Ok(Work::plain(self.get().await?)),
            PoolerMode::Transaction => self.transaction().await,
        }
    }

    /// A connection inside a new transaction; [`Work::commit`] commits it, dropping it rolls
    /// it back. Behind a transaction pooler the session timeouts are set in the same round trip.
    pub async fn transaction(&self) -> Result<Work, StorageError> {
        let begin = match self.session.pooler {
            PoolerMode::Session => "BEGIN".to_owned(),
            PoolerMode::Transaction => format!("BEGIN; {}", self.session.timeouts.set_local()),
        };
        Work::begin(self.get().await?, &begin).await
    }
}

/// Builds a pool for `database_url`; no connection is opened until one is needed, but the URL
/// and its TLS roots are checked at once.
pub fn build_pool(database_url: &str, settings: PoolSettings) -> Result<PgPool, StorageError> {
    let url = DatabaseUrl::parse(database_url)?;
    let session = settings.session;
    let mut manager_config = ManagerConfig::<AsyncPgConnection>::default();
    manager_config.custom_setup = Box::new(move |_| {
        let url = url.clone();
        async move { url.establish(&session).await }.boxed()
    });
    // No statement on check-out: a connection goes back into use as it is, unless it is known
    // to be broken (its socket closed, or a transaction left in an unknown state). A connection
    // the server dropped while it sat idle fails the one statement that finds it so, and is
    // replaced; a liveness query on every check-out would cost every use case a round trip.
    manager_config.recycling_method = RecyclingMethod::Fast;
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config("", manager_config);
    let inner = Pool::builder(manager)
        .max_size(settings.max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.connect_timeout))
        .recycle_timeout(Some(settings.connect_timeout))
        .build()
        .map_err(|error| StorageError::Pool(error.to_string()))?;
    Ok(PgPool { inner, session })
}

/// The session of a migration run: no statement or lock timeout (a migration may rewrite a
/// large table or wait for the service's transactions), on the given pooler.
pub(crate) fn migration_session(pooler: PoolerMode) -> SessionSettings {
    SessionSettings {
        pooler,
        timeouts: SessionTimeouts::NONE,
        application_name: "pulse-sync-migrations",
    }
}
