//! `bench-jobs --graphile-dir DIR`: the job machinery.
//!
//! 20,000 queued jobs (2,000 with `--quick`) whose contacts source returns an empty account at
//! once, worked off by the real scheduler with its default settings and 4, then 16, workers
//! (claim, heartbeat, the sync engine's page write and its end): jobs per second. Beside it in
//! each round, graphile-worker (installed in DIR by `bench/run`) works as many no-op jobs with the
//! same concurrency on the same PostgreSQL, in a database of its own.

use std::path::PathBuf;

use pulse_bench::database::{connect, empty_database, fresh_database, production_store_sized};
use pulse_bench::figure::format_number;
use pulse_bench::graphile::run_noop_jobs;
use pulse_bench::job_machinery::{completed_jobs, prepare_users, reset_and_queue, work_off_queue};
use pulse_bench::stats::Paired;
use pulse_bench::{BenchArgs, BenchError, Bound, Figure, Goal};
use pulse_storage::testing::TestDatabase;

/// The worker counts measured, each against graphile-worker at the same concurrency.
const CONCURRENCIES: [usize; 2] = [4, 16];

#[tokio::main]
async fn main() -> Result<(), BenchError> {
    let args = BenchArgs::from_env()?;
    let graphile_dir = PathBuf::from(args.required("graphile-dir")?);
    let jobs: usize = args.size(20_000, 2_000);
    let rounds = 3;
    let users = i64::try_from(jobs).map_err(|_| BenchError::Usage("too many jobs".to_owned()))?;

    let database = fresh_database().await?;
    let client = connect(database.url()).await?;
    let workers_max = CONCURRENCIES.iter().copied().max().unwrap_or(1);
    let store = production_store_sized(&database, TestDatabase::key_ring(), workers_max + 4)?;
    prepare_users(&client, &store, users).await?;
    let peer_database = empty_database().await?;

    for concurrency in CONCURRENCIES {
        let mut rates = Paired::new();
        for round in 1..=rounds {
            let peer = run_noop_jobs(&graphile_dir, peer_database.url(), jobs, concurrency).await?;
            if peer.completed != jobs as u64 {
                return Err(BenchError::Invalid(format!(
                    "graphile-worker completed {} of {jobs} jobs",
                    peer.completed
                )));
            }
            reset_and_queue(&client, users).await?;
            let ours = work_off_queue(&store, jobs, concurrency).await?;
            let completed = completed_jobs(&client).await?;
            if completed != users {
                return Err(BenchError::Invalid(format!(
                    "{completed} of {jobs} jobs are completed in the database"
                )));
            }
            eprintln!(
                "{concurrency} workers, round {round}: pulse-sync {:.2} s (a run in the sync engine: {:.2} ms on average), graphile-worker {:.2} s",
                ours.elapsed.as_secs_f64(),
                ours.mean_run.as_secs_f64() * 1000.0,
                peer.elapsed.as_secs_f64()
            );
            let count = jobs as f64;
            rates.push(
                count / ours.elapsed.as_secs_f64(),
                count / peer.elapsed.as_secs_f64(),
            );
        }
        Figure::paired(
            &format!(
                "job machinery, {} empty-account jobs, {concurrency} workers",
                format_number(jobs as f64)
            ),
            "jobs/s",
            &rates,
            &format!("graphile-worker, same count of no-op jobs, concurrency {concurrency}"),
        )
        .with_goal(Goal::ratio(Bound::AtLeast(1.0)))
        .report(&args)?;
    }
    Ok(())
}
