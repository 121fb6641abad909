//! `pulse-sync sync --workspace U`: one sync now, in the foreground, through the scheduler's
//! foreground run (the same lease, heartbeat and fencing as a worker), then its counts.

use clap::Args;
use pulse_domain::UserId;
use pulse_domain::ports::SystemClock;
use pulse_domain::sync::SyncOutcome;
use pulse_domain::{JobStatus, SyncJob};
use pulse_scheduler::{ForegroundError, ForegroundRun, JobEnd, run_job_now};
use tokio_util::sync::CancellationToken;

use crate::database::Database;
use crate::encryption::{self, KeyFallback};
use crate::error::CliError;
use crate::google::{google_client, google_config};
use crate::http;
use crate::progress::Progress;
use crate::report::{describe_counts, describe_job};
use crate::services::{self, SchedulerDefaults, scheduler_config};
use crate::settings::args::DEFAULT_BIND;
use crate::settings::parse;
use crate::settings::{DatabaseArgs, EncryptionArgs, GoogleArgs, SchedulerArgs};

/// Options of `pulse-sync sync`.
#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// The workspace (CRM user id) to sync.
    #[arg(long)]
    pub workspace: String,
    /// Which database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The keys that open the workspace's Google grant.
    #[command(flatten)]
    pub encryption: EncryptionArgs,
    /// The lease and heartbeat of the run.
    #[command(flatten)]
    pub scheduler: SchedulerArgs,
    /// The Google rate limits.
    #[command(flatten)]
    pub google: GoogleArgs,
}

/// Runs the sync and prints its counts; `cancel` (Ctrl-C) hands the job back to the queue.
pub async fn run(args: SyncArgs, cancel: CancellationToken) -> Result<(), CliError> {
    let user = UserId::parse(&args.workspace)
        .map_err(|error| CliError::Input(format!("--workspace: {error}")))?;
    let fallback = match args.database.url() {
        Some(_) => KeyFallback::Required,
        None => KeyFallback::KeyFile(&args.database.data_dir),
    };
    let keys = encryption::keys(&args.encryption, fallback)?;
    let config = scheduler_config(&args.scheduler, SchedulerDefaults::SERVE)?;
    // The foreground run never redirects a browser; the callback URL only has to be well formed.
    let bind = parse::bind_address(DEFAULT_BIND).map_err(CliError::Input)?;
    let public_url = http::public_url(None, bind)?;
    let google = google_client(&google_config(&args.google, &public_url, &[])?)?;

    let database = Database::open(&args.database).await?;
    let outcome = async {
        database.ensure_schema().await?;
        let store = database.store(4, keys.ring.clone())?;
        encryption::warn_about_missing_keys(&store, &keys).await;
        let engine = services::engine(&store, &google);
        let progress = Progress::for_stderr();
        if matches!(progress, Progress::Lines) {
            eprintln!("Syncing workspace {user}…");
        }
        let ran = run_job_now(
            &store,
            &engine,
            &SystemClock,
            &user,
            &config,
            &progress,
            &cancel,
        )
        .await;
        progress.finish();
        report(ran.map_err(foreground_error)?)
    }
    .await;
    database.close().await;
    outcome
}

fn foreground_error(error: ForegroundError) -> CliError {
    match error {
        ForegroundError::AlreadyActive { job_id } => CliError::SyncInProgress { job_id },
        ForegroundError::Config(config) => CliError::Scheduler(config),
        ForegroundError::Store(store) => CliError::Store(store),
        other => CliError::SyncFailed(other.to_string()),
    }
}

/// Prints the counts of a completed run; any other end is an error.
fn report(run: ForegroundRun) -> Result<(), CliError> {
    match run {
        ForegroundRun::Ran { end, .. } => match end {
            JobEnd::Finished(SyncOutcome::Completed(counts)) => {
                println!("{}", describe_counts(&counts));
                Ok(())
            }
            JobEnd::Finished(SyncOutcome::Failed(failure)) => {
                Err(CliError::SyncFailed(failure.message))
            }
            JobEnd::Finished(SyncOutcome::Retrying { .. }) | JobEnd::Released => {
                Err(CliError::Interrupted)
            }
            JobEnd::Finished(SyncOutcome::LeaseLost) | JobEnd::LeaseLost => Err(
                CliError::SyncFailed("another worker took the job over".to_owned()),
            ),
            JobEnd::Unrecorded(error) => Err(CliError::SyncFailed(error.to_string())),
            JobEnd::ReleaseFailed(error) => Err(CliError::SyncFailed(format!(
                "interrupted, and the job could not be handed back ({error}); it is requeued when its lease expires"
            ))),
        },
        ForegroundRun::RanElsewhere(job) => report_elsewhere(&job),
    }
}

/// A job a running scheduler claimed first: its result, once final.
fn report_elsewhere(job: &SyncJob) -> Result<(), CliError> {
    eprintln!("A running scheduler took this sync (job {}).", job.id);
    match job.status {
        JobStatus::Completed => {
            println!("{}", describe_counts(&job.counts));
            Ok(())
        }
        JobStatus::Queued | JobStatus::Running => Err(CliError::Interrupted),
        JobStatus::Failed | JobStatus::Cancelled => Err(CliError::SyncFailed(describe_job(job))),
    }
}
