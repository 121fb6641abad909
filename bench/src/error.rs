//! `BenchError`: everything that can stop a benchmark before it has a figure.

use pulse_domain::ports::StoreError;

/// Why a benchmark could not produce its figures.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The command line or environment is not usable.
    #[error("usage: {0}")]
    Usage(String),
    /// A test database could not be created.
    #[error(transparent)]
    TestDatabase(#[from] pulse_storage::testing::TestDatabaseError),
    /// A direct SQL statement failed.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// A storage port failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The storage crate failed outside the ports (pool, migrations).
    #[error("storage: {0}")]
    Storage(#[from] pulse_storage::StorageError),
    /// The local PostgreSQL could not start.
    #[error("local PostgreSQL: {0}")]
    Cluster(#[from] pulse_storage::local_cluster::LocalClusterError),
    /// The fake Google refused a control call or did not start.
    #[error("fake Google: {0}")]
    Fake(#[from] pulse_google::fake::FakeError),
    /// The Google client could not be configured.
    #[error("Google client: {0}")]
    GoogleConfig(#[from] pulse_google::ConfigError),
    /// A sync could not record its end.
    #[error(transparent)]
    Sync(#[from] pulse_domain::sync::SyncError),
    /// The scheduler refused its settings.
    #[error("scheduler: {0}")]
    Scheduler(#[from] pulse_scheduler::ConfigError),
    /// Reading or writing a file, or running a program, failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// A measured run did not do what it must (wrong counts, errors answered, a child failed).
    #[error("{0}")]
    Invalid(String),
}

impl BenchError {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}
