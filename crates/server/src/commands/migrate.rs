//! `pulse-sync migrate`: applies the embedded migrations to `DATABASE_URL`.

use clap::Args;
use pulse_domain::Secret;
use pulse_storage::{MigrationReport, StorageError};

/// Options of `pulse-sync migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The PostgreSQL database to migrate.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_parser = crate::settings::parse::secret)]
    pub database_url: Secret,
}

/// Why `migrate` failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The migrations could not be applied.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Applies the pending migrations and prints how many ran.
pub async fn run(args: &MigrateArgs) -> Result<(), MigrateError> {
    let report = pulse_storage::run_migrations(args.database_url.expose()).await?;
    println!("{}", summary(&report));
    for version in &report.applied {
        tracing::info!(%version, "migration applied");
    }
    Ok(())
}

/// The line `migrate` prints: how many migrations it applied.
pub fn summary(report: &MigrationReport) -> String {
    match report.applied.len() {
        0 => "applied 0 migrations: the schema is up to date".to_owned(),
        1 => "applied 1 migration".to_owned(),
        count => format!("applied {count} migrations"),
    }
}

impl From<MigrateError> for crate::error::CliError {
    fn from(error: MigrateError) -> Self {
        match error {
            MigrateError::Storage(storage) => Self::Storage(storage),
        }
    }
}
