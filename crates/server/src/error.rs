//! `CliError`: why a command failed, and the exit status it ends with (2 for configuration, 3 when
//! the local PostgreSQL is needed but its server programs are not installed, 130 when interrupted,
//! 1 for everything else). Messages never carry a secret.

use std::net::SocketAddr;
use std::path::PathBuf;

use pulse_domain::ports::{EnqueueError, StoreError};
use pulse_storage::StorageError;
use pulse_storage::local_cluster::LocalClusterError;

use crate::settings::SettingsError;
use crate::settings::variables::PULSE_BIND;

/// The exit status when the local PostgreSQL is needed and its server programs are missing.
pub const NO_SERVER_PROGRAMS_EXIT_CODE: u8 = 3;

/// A command's failure.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The configuration is missing or invalid.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The local encryption key file is unusable.
    #[error("the encryption key file {path} cannot be used: {reason}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The local PostgreSQL did not start.
    #[error("the local PostgreSQL did not start: {0}")]
    LocalCluster(#[from] LocalClusterError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A repository call failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The database of `DATABASE_URL` lacks migrations.
    #[error(
        "the database has {pending} pending migration(s): run `pulse-sync migrate` (or `pulse-sync serve`, which migrates at start)"
    )]
    NotMigrated {
        /// How many.
        pending: usize,
    },
    /// The HTTP server could not listen.
    #[error("cannot listen on {address} ({PULSE_BIND}): {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP server failed while running.
    #[error("the HTTP server failed: {0}")]
    Http(std::io::Error),
    /// The Prometheus recorder could not be installed.
    #[error(transparent)]
    Metrics(#[from] pulse_api::MetricsError),
    /// The scheduler's settings are unusable.
    #[error("invalid scheduler settings: {0}")]
    Scheduler(#[from] pulse_scheduler::ConfigError),
    /// The webhook HTTP client could not be built.
    #[error(transparent)]
    Webhooks(#[from] pulse_webhooks::SenderError),
    /// The fake Google of the demo did not start or refused a call.
    #[error(transparent)]
    FakeGoogle(#[from] pulse_google::fake::FakeError),
    /// A sync is already queued or running for the workspace.
    #[error("a sync is already queued or running for this workspace (job {job_id})")]
    SyncInProgress {
        /// That job.
        job_id: uuid::Uuid,
    },
    /// A sync ran and failed.
    #[error("the sync failed: {0}")]
    SyncFailed(String),
    /// Standard output could not be written (a closed pipe, a full disk).
    #[error("cannot write to standard output: {0}")]
    Output(std::io::Error),
    /// The user's input names something that does not exist or is malformed.
    #[error("{0}")]
    Input(String),
    /// Generating randomness failed.
    #[error(transparent)]
    KeyGeneration(#[from] pulse_api::KeyGenerationError),
    /// A background task panicked or was cancelled.
    #[error("internal task failed: {0}")]
    Task(String),
    /// The command was interrupted (Ctrl-C or SIGTERM) before it finished.
    #[error("interrupted")]
    Interrupted,
}

impl CliError {
    /// The process's exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Settings(_) | Self::KeyFile { .. } => 2,
            Self::LocalCluster(LocalClusterError::ServerProgramsNotFound { .. }) => {
                NO_SERVER_PROGRAMS_EXIT_CODE
            }
            Self::Interrupted => 130,
            _ => 1,
        }
    }
}

impl From<EnqueueError> for CliError {
    fn from(error: EnqueueError) -> Self {
        match error {
            EnqueueError::AlreadyActive { job_id } => Self::SyncInProgress { job_id },
            EnqueueError::Store(store) => Self::Store(store),
        }
    }
}
