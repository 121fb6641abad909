//! `bench-due-scan`: the scheduler's due scan.
//!
//! - One idle scan (no config due) over 1,000,000 configurations (200,000 with `--quick`) against
//!   the same scan over 10,000, the two databases sampled alternately; the plan of the due query
//!   is printed to show it reads the partial index only.
//! - 10,000 due users enqueued by the scanner (batches of 500, one transaction each) against one
//!   set-based SQL statement writing the same jobs and schedules.

use pulse_bench::database::{connect, fresh_database, production_store};
use pulse_bench::due_scan::{
    explain_due_query, fill_idle_configs, idle_scan, make_due, scanner_enqueue, set_based_enqueue,
};
use pulse_bench::figure::format_number;
use pulse_bench::stats::Paired;
use pulse_bench::{BenchArgs, BenchError, Bound, Figure, Goal};
use pulse_storage::testing::TestDatabase;

/// The configurations of the reference scan.
const SMALL: i64 = 10_000;

/// The due users enqueued.
const DUE: i64 = 10_000;

#[tokio::main]
async fn main() -> Result<(), BenchError> {
    let args = BenchArgs::from_env()?;
    let large: i64 = args.size(1_000_000, 200_000);
    let samples = args.size(21, 9);
    let enqueue_rounds = args.size(5, 3);

    let small_database = fresh_database().await?;
    let large_database = fresh_database().await?;
    let small_client = connect(small_database.url()).await?;
    let large_client = connect(large_database.url()).await?;
    fill_idle_configs(&small_client, SMALL).await?;
    fill_idle_configs(&large_client, large).await?;
    let small_store = production_store(&small_database, TestDatabase::key_ring())?;
    let large_store = production_store(&large_database, TestDatabase::key_ring())?;
    idle_scan(&small_store).await?;
    idle_scan(&large_store).await?;

    let mut scans = Paired::new();
    for sample in 0..samples {
        let (small, large) = if sample % 2 == 0 {
            let small = idle_scan(&small_store).await?;
            (small, idle_scan(&large_store).await?)
        } else {
            let large = idle_scan(&large_store).await?;
            (idle_scan(&small_store).await?, large)
        };
        scans.push(large.as_secs_f64() * 1000.0, small.as_secs_f64() * 1000.0);
    }
    eprintln!(
        "EXPLAIN (ANALYZE, BUFFERS) of the due query over {} configs:",
        format_number(large as f64)
    );
    for line in explain_due_query(&large_client).await? {
        eprintln!("  {line}");
    }
    Figure::paired(
        &format!(
            "idle due scan, {} configs (none due)",
            format_number(large as f64)
        ),
        "ms",
        &scans,
        &format!("same scan, {} configs", format_number(SMALL as f64)),
    )
    .with_goal(Goal::both(Bound::Below(2.0), Bound::Below(5.0)))
    .report(&args)?;

    let mut enqueue = Paired::new();
    let due = DUE as f64;
    for round in 1..=enqueue_rounds {
        make_due(&large_client, DUE).await?;
        let (reference, enqueued) = set_based_enqueue(&large_client).await?;
        expect_enqueued("the set-based statement", enqueued, DUE)?;
        make_due(&large_client, DUE).await?;
        let report = scanner_enqueue(&large_store).await?;
        expect_enqueued("the scanner", report.enqueued as u64, DUE)?;
        eprintln!(
            "round {round}: scanner {:.1} ms in {} batches, set-based {:.1} ms",
            report.duration.as_secs_f64() * 1000.0,
            report.batches,
            reference.as_secs_f64() * 1000.0
        );
        enqueue.push(
            due / report.duration.as_secs_f64(),
            due / reference.as_secs_f64(),
        );
    }
    Figure::paired(
        &format!(
            "enqueue {} due users (of {} configs)",
            format_number(due),
            format_number(large as f64)
        ),
        "users/s",
        &enqueue,
        "one set-based SQL statement, same users",
    )
    .with_goal(Goal::value(Bound::AtLeast(5000.0)))
    .report(&args)?;
    Ok(())
}

fn expect_enqueued(who: &str, enqueued: u64, due: i64) -> Result<(), BenchError> {
    if i64::try_from(enqueued).ok() == Some(due) {
        Ok(())
    } else {
        Err(BenchError::Invalid(format!(
            "{who} enqueued {enqueued} users, {due} were due"
        )))
    }
}
