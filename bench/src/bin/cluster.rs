//! `bench-cluster --data-dir DIR`: starts the storage crate's local PostgreSQL in DIR for a
//! benchmark run without `DATABASE_URL`, prints its URL on one line, and keeps it running until
//! SIGTERM or SIGINT; then stops it. Killed harder, its guardian stops the server.

use std::io::Write as _;
use std::path::PathBuf;

use pulse_bench::{BenchArgs, BenchError};
use pulse_storage::local_cluster::{LocalCluster, StopOutcome};
use tokio::signal::unix::{SignalKind, signal};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BenchError> {
    let args = BenchArgs::from_env()?;
    let data_dir = PathBuf::from(args.required("data-dir")?);
    let start_dir = data_dir.clone();
    let cluster = tokio::task::spawn_blocking(move || LocalCluster::start(&start_dir))
        .await
        .map_err(|error| BenchError::Invalid(format!("the start task failed: {error}")))??;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", cluster.database_url("postgres"))
        .and_then(|()| stdout.flush())
        .map_err(BenchError::io("print the database URL"))?;
    let mut terminate = signal(SignalKind::terminate()).map_err(BenchError::io("SIGTERM"))?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(BenchError::io("SIGINT"))?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    let outcome = tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .map_err(|error| BenchError::Invalid(format!("the stop task failed: {error}")))??;
    match outcome {
        StopOutcome::Stopped => eprintln!("stopped the local PostgreSQL in {}", data_dir.display()),
        StopOutcome::LeftRunning => eprintln!(
            "left the local PostgreSQL in {} running for the other processes using it",
            data_dir.display()
        ),
    }
    Ok(())
}
