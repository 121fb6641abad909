//! The command line of `pulse-sync`: its subcommands, the options every command shares, and the
//! exit status (0 success, 2 invalid configuration, 3 PostgreSQL's server programs missing for the
//! local PostgreSQL, 1 any other failure, 130 interrupted).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands::{api_key, demo, encryption_key, migrate, serve, status, sync};
use crate::error::CliError;
use crate::logging::{self, LogFormat};
use crate::settings::parse;
use crate::settings::variables::PULSE_LOG_FORMAT;
use crate::shutdown;

/// Keeps CRM users' Google Contacts synced into PostgreSQL, on a schedule each user controls.
#[derive(Debug, Parser)]
#[command(name = "pulse-sync", version)]
pub struct Cli {
    /// Log lines as `text` or as `json` objects; RUST_LOG filters them (default: info).
    #[arg(long, env = PULSE_LOG_FORMAT, default_value = "text", value_parser = parse::log_format, global = true)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the API (with the settings page) and the scheduler until SIGTERM or Ctrl-C.
    Serve(serve::ServeArgs),
    /// The whole service on this machine with a fake Google: prints the settings page's URL.
    Demo(demo::DemoArgs),
    /// Applies the pending database migrations (a no-op when the schema is current).
    Migrate(migrate::MigrateArgs),
    /// Creates, lists and revokes API keys.
    ApiKey(api_key::ApiKeyArgs),
    /// Re-seals stored secrets with the current encryption key, or counts them per key.
    EncryptionKey(encryption_key::EncryptionKeyArgs),
    /// Runs one sync of a workspace now, in the foreground, and prints its counts.
    Sync(sync::SyncArgs),
    /// Shows auto-sync settings, the next sync, the Google connection and recent jobs.
    Status(status::StatusArgs),
}

/// Parses the process arguments, runs the command, and turns its outcome into an exit status.
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = logging::init(cli.log_format) {
        return fail(&error.into());
    }
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

/// Runs one command to its end.
pub async fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Serve(args) => serve::run(args, shutdown::on_signals()).await,
        Command::Demo(args) => demo::run(args, shutdown::on_signals()).await,
        Command::Migrate(args) => migrate::run(&args).await.map_err(CliError::from),
        Command::ApiKey(args) => api_key::run(args).await,
        Command::EncryptionKey(args) => encryption_key::run(args).await,
        Command::Sync(args) => sync::run(args, shutdown::on_signals()).await,
        Command::Status(args) => status::run(args).await,
    }
}

fn fail(error: &CliError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(error.exit_code())
}
