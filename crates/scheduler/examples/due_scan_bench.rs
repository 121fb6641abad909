//! Measures the due scan on a real PostgreSQL (a fresh database from the storage crate's test
//! helper; `DATABASE_URL` or the local cluster): one scan over 1,000,000 configs of which none is
//! due against the same over 10,000, the plan of the due query, and the rate at which 10,000 due
//! users are enqueued. It prints figures and asserts nothing.
//!
//! Run: `cargo run --release -p pulse-scheduler --example due_scan_bench`

use std::time::{Duration, Instant};

use chrono::Utc;
use pulse_domain::ports::JobQueue;
use pulse_scheduler::scan_due;
use pulse_storage::PgStore;
use pulse_storage::testing::TestDatabase;
use tokio_postgres::{Client, NoTls};

/// Samples per measurement; the median is reported.
const SAMPLES: usize = 21;

/// Rounds of enqueuing the due users; the median rate is reported.
const ENQUEUE_ROUNDS: usize = 3;

/// The scan batch (the scheduler's default).
const BATCH: i64 = 500;

/// The storage crate's due query (`SELECT_DUE` in `repositories/job_queue.rs`), for EXPLAIN.
const DUE_QUERY: &str = "
    SELECT c.user_id, c.enabled, c.interval_hours, c.last_sync_at, c.next_sync_at,
           c.consecutive_failures, c.paused_reason, c.last_error, c.created_at, c.updated_at
    FROM google_contacts_auto_sync_config c
    WHERE c.enabled AND c.paused_reason IS NULL AND c.next_sync_at <= now()
      AND NOT EXISTS (
          SELECT 1 FROM google_contacts_sync_jobs j
          WHERE j.user_id = c.user_id AND j.status IN ('queued', 'running'))
    ORDER BY c.next_sync_at, c.user_id
    LIMIT 500
    FOR UPDATE OF c SKIP LOCKED";

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> BenchResult<()> {
    let small = measure_idle_scan(10_000).await?;
    let large = measure_idle_scan(1_000_000).await?;
    println!();
    println!("idle due scan (no config due), median of {SAMPLES}:");
    println!("  10,000 configs:     {}", format_ms(small.median));
    println!("  1,000,000 configs:  {}", format_ms(large.median));
    println!(
        "  ratio (1,000,000 / 10,000): {:.2}",
        large.median.as_secs_f64() / small.median.as_secs_f64()
    );
    println!();
    println!("EXPLAIN (ANALYZE, BUFFERS) of the due query over 1,000,000 configs:");
    for line in &large.plan {
        println!("  {line}");
    }
    println!();
    measure_enqueue(&large.database, &large.store).await?;
    Ok(())
}

struct IdleScan {
    median: Duration,
    plan: Vec<String>,
    database: TestDatabase,
    store: PgStore,
}

/// Fills a fresh database with `configs` configurations (four in five enabled, none due) and
/// times one idle scan.
async fn measure_idle_scan(configs: i64) -> BenchResult<IdleScan> {
    let database = TestDatabase::create().await?;
    let client = connect(database.url()).await?;
    let filled = Instant::now();
    client
        .execute(
            "INSERT INTO google_contacts_auto_sync_config
                 (user_id, enabled, interval_hours, last_sync_at, next_sync_at)
             SELECT 'bench-' || g, g % 5 <> 0, 24, now() - interval '1 hour',
                    CASE WHEN g % 5 <> 0
                         THEN now() + interval '1 hour' + (g % 86400) * interval '1 second'
                    END
             FROM generate_series(1, $1::bigint) AS g",
            &[&configs],
        )
        .await?;
    client.batch_execute("ANALYZE").await?;
    println!(
        "inserted {configs} configs in {:.1} s",
        filled.elapsed().as_secs_f64()
    );
    let store = PgStore::new(database.pool(), TestDatabase::key_ring());
    let warmup = scan_due(&store, BATCH).await?;
    if warmup.enqueued != 0 {
        return Err(format!(
            "expected no due config, the scan enqueued {}",
            warmup.enqueued
        )
        .into());
    }
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let jobs = store.enqueue_due(Utc::now(), BATCH).await?;
        samples.push(started.elapsed());
        if !jobs.is_empty() {
            return Err("a config became due during the idle measurement".into());
        }
    }
    let plan = explain(&client).await?;
    Ok(IdleScan {
        median: median(&mut samples),
        plan,
        database,
        store,
    })
}

/// The plan of the due query, run inside a transaction that is rolled back (it locks rows).
async fn explain(client: &Client) -> BenchResult<Vec<String>> {
    client.batch_execute("BEGIN").await?;
    let rows = client
        .query(&format!("EXPLAIN (ANALYZE, BUFFERS) {DUE_QUERY}"), &[])
        .await?;
    client.batch_execute("ROLLBACK").await?;
    Ok(rows.iter().map(|row| row.get::<_, String>(0)).collect())
}

/// Makes 10,000 of the configs due, times full scans (batches of 500), and reports users/s.
async fn measure_enqueue(database: &TestDatabase, store: &PgStore) -> BenchResult<()> {
    let client = connect(database.url()).await?;
    let mut rates = Vec::with_capacity(ENQUEUE_ROUNDS);
    for round in 1..=ENQUEUE_ROUNDS {
        client
            .batch_execute(
                "DELETE FROM google_contacts_sync_jobs;
                 UPDATE google_contacts_auto_sync_config
                 SET next_sync_at = now() - interval '1 minute'
                 WHERE user_id IN (SELECT 'bench-' || g FROM generate_series(1, 12500) AS g
                                   WHERE g % 5 <> 0);
                 ANALYZE google_contacts_auto_sync_config;",
            )
            .await?;
        let due = count(
            &client,
            "SELECT count(*) FROM google_contacts_auto_sync_config
             WHERE enabled AND paused_reason IS NULL AND next_sync_at <= now()",
        )
        .await?;
        let report = scan_due(store, BATCH).await?;
        let jobs = count(&client, "SELECT count(*) FROM google_contacts_sync_jobs").await?;
        let rate = report.enqueued as f64 / report.duration.as_secs_f64();
        println!(
            "round {round}: {due} due, {} enqueued ({jobs} jobs) in {} batches, {} -> {rate:.0} users/s",
            report.enqueued,
            report.batches,
            format_ms(report.duration),
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    let median_rate = rates[rates.len() / 2];
    println!(
        "enqueue 10,000 due users: median {median_rate:.0} users/s ({:.2} s for 10,000)",
        10_000.0 / median_rate
    );
    Ok(())
}

async fn connect(url: &str) -> BenchResult<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

async fn count(client: &Client, query: &str) -> BenchResult<i64> {
    Ok(client.query_one(query, &[]).await?.get(0))
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn format_ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}
