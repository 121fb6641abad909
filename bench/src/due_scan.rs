//! The due scan on a real PostgreSQL: tables of idle configurations (none due), the plan of the
//! due query, making a number of users due, and the set-based SQL that enqueues the same users in
//! one statement (the reference for the scanner's batches).

use std::time::{Duration, Instant};

use pulse_domain::ports::SystemClock;
use pulse_scheduler::{ScanReport, scan_due};
use pulse_storage::PgStore;
use tokio_postgres::Client;

use crate::database::vacuum;
use crate::error::BenchError;

/// The scanner's default batch.
pub const BATCH: i64 = 500;

/// The tables a round of enqueuing changes.
const SCAN_TABLES: [&str; 2] = [
    "google_contacts_auto_sync_config",
    "google_contacts_sync_jobs",
];

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

/// Every due user enqueued in one statement: the same job rows and schedule updates as the
/// scanner's batches, with no round trip per batch and no grid arithmetic in the application.
const SET_BASED_ENQUEUE: &str = "
    WITH due AS (
        SELECT c.user_id FROM google_contacts_auto_sync_config c
        WHERE c.enabled AND c.paused_reason IS NULL AND c.next_sync_at <= now()
          AND NOT EXISTS (
              SELECT 1 FROM google_contacts_sync_jobs j
              WHERE j.user_id = c.user_id AND j.status IN ('queued', 'running'))
        FOR UPDATE OF c SKIP LOCKED),
    queued AS (
        INSERT INTO google_contacts_sync_jobs (user_id, trigger, status, created_at, run_after)
        SELECT user_id, 'auto', 'queued', now(), now() FROM due
        ON CONFLICT DO NOTHING
        RETURNING user_id)
    UPDATE google_contacts_auto_sync_config c
    SET next_sync_at = c.next_sync_at + make_interval(hours => c.interval_hours),
        updated_at = now()
    FROM queued WHERE c.user_id = queued.user_id";

/// The user id of configuration number `n` (from 1).
pub fn config_user(n: i64) -> String {
    format!("bench-{n}")
}

/// Inserts `configs` configurations, four in five enabled and none due (the enabled ones fall
/// due over the next day), a history of completed jobs (one for every tenth configuration, as a
/// table in service holds, so the planner sees a jobs table of its real kind), and analyzes both.
pub async fn fill_idle_configs(client: &Client, configs: i64) -> Result<(), BenchError> {
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
    client
        .execute(
            "INSERT INTO google_contacts_sync_jobs
                 (user_id, trigger, status, attempt, created_at, started_at, finished_at)
             SELECT 'bench-' || g, 'auto', 'completed', 1, now() - interval '1 day',
                    now() - interval '1 day', now() - interval '1 day'
             FROM generate_series(1, $1::bigint, 10) AS g",
            &[&configs],
        )
        .await?;
    vacuum(client, &SCAN_TABLES).await
}

/// One idle scan by the scheduler's own scan function; an error if it enqueued anyone.
pub async fn idle_scan(store: &PgStore) -> Result<Duration, BenchError> {
    let report = scan_due(store, &SystemClock, BATCH).await?;
    if report.enqueued != 0 {
        return Err(BenchError::Invalid(format!(
            "an idle scan enqueued {} users",
            report.enqueued
        )));
    }
    Ok(report.duration)
}

/// The plan of the due query (`EXPLAIN ANALYZE`), in a transaction rolled back after.
pub async fn explain_due_query(client: &Client) -> Result<Vec<String>, BenchError> {
    client.batch_execute("BEGIN").await?;
    let rows = client
        .query(&format!("EXPLAIN (ANALYZE, BUFFERS) {DUE_QUERY}"), &[])
        .await;
    client.batch_execute("ROLLBACK").await?;
    Ok(rows?.iter().map(|row| row.get::<_, String>(0)).collect())
}

/// Removes the queued jobs (the history stays) and makes exactly `due` enabled configurations due
/// a minute ago: the enabled ones among the first `due * 5 / 4` that [`fill_idle_configs`]
/// inserted.
pub async fn make_due(client: &Client, due: i64) -> Result<(), BenchError> {
    let last = due * 5 / 4;
    client
        .execute(
            "UPDATE google_contacts_auto_sync_config
             SET next_sync_at = now() - interval '1 minute'
             WHERE user_id IN (SELECT 'bench-' || g FROM generate_series(1, $1::bigint) AS g
                               WHERE g % 5 <> 0)",
            &[&last],
        )
        .await?;
    client
        .batch_execute("DELETE FROM google_contacts_sync_jobs WHERE status <> 'completed'")
        .await?;
    vacuum(client, &SCAN_TABLES).await?;
    let now_due = crate::database::count(
        client,
        "SELECT count(*) FROM google_contacts_auto_sync_config
         WHERE enabled AND paused_reason IS NULL AND next_sync_at <= now()",
    )
    .await?;
    if now_due != due {
        return Err(BenchError::Invalid(format!(
            "{now_due} configs are due, expected {due}"
        )));
    }
    Ok(())
}

/// The scanner enqueuing every due user, batch after batch.
pub async fn scanner_enqueue(store: &PgStore) -> Result<ScanReport, BenchError> {
    Ok(scan_due(store, &SystemClock, BATCH).await?)
}

/// The set-based enqueue of every due user; returns the time and the users enqueued.
pub async fn set_based_enqueue(client: &Client) -> Result<(Duration, u64), BenchError> {
    let started = Instant::now();
    let enqueued = client.execute(SET_BASED_ENQUEUE, &[]).await?;
    Ok((started.elapsed(), enqueued))
}
