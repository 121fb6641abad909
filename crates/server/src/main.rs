//! `pulse-sync`: the command-line entry point; parsing and dispatch live in [`pulse_server::cli`].

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    pulse_server::cli::main().await
}
