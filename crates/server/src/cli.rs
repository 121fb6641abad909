//! The command line of `pulse-sync`: its subcommands, their options, and the exit status.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands;

/// Keeps CRM users' Google Contacts synced into PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "pulse-sync", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Applies the pending database migrations (a no-op when the schema is current).
    Migrate(commands::migrate::MigrateArgs),
}

/// Parses the process arguments, runs the command, and turns its outcome into an exit status.
pub async fn main() -> ExitCode {
    init_tracing();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Migrate(args) => commands::migrate::run(&args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
