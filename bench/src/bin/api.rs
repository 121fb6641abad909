//! `bench-api --server-bin PATH --wrk PATH --pgbench PATH --work-dir DIR`: the HTTP API.
//!
//! The real `pulse-sync serve` on a fresh database holding 10,000 workspaces, each with an
//! auto-sync configuration and an API key of its own. wrk (32 connections, 20 s; 5 s with
//! `--quick`) rotates over the workspaces and their keys with `GET` and then `PUT
//! /api/logos-vision/auto-sync/config`; beside each run, pgbench runs the same primary-key
//! `SELECT` (or `UPDATE`) on the same database with 32 clients for the same time. Figures:
//! requests per second against pgbench's transactions per second, and the 99th percentile latency.

use std::path::PathBuf;
use std::time::Duration;

use pulse_bench::database::{connect, fresh_database};
use pulse_bench::fake_account::{process_env, start_fake};
use pulse_bench::figure::format_number;
use pulse_bench::load_tools::{LoadRun, LoadShape, run_pgbench, run_wrk, scripts_dir};
use pulse_bench::server_process::ServerProcess;
use pulse_bench::stats::Paired;
use pulse_bench::{BenchArgs, BenchError, Bound, Figure, Goal};
use pulse_storage::generate_key;
use tokio_postgres::Client;

/// Workspaces, each with a configuration and a key.
const WORKSPACES: u32 = 10_000;

/// wrk connections and pgbench clients.
const CONNECTIONS: u32 = 32;

/// Rounds of each pair.
const ROUNDS: usize = 3;

/// One operation measured: the wrk script, the pgbench script, and names for the table.
struct Operation {
    method: &'static str,
    wrk_script: &'static str,
    pgbench_script: &'static str,
    statement: &'static str,
}

const OPERATIONS: [Operation; 2] = [
    Operation {
        method: "GET",
        wrk_script: "config_get.lua",
        pgbench_script: "select_config.sql",
        statement: "SELECT",
    },
    Operation {
        method: "PUT",
        wrk_script: "config_put.lua",
        pgbench_script: "update_config.sql",
        statement: "UPDATE",
    },
];

/// The tools and where they write.
struct Tools {
    wrk: PathBuf,
    pgbench: PathBuf,
    work_dir: PathBuf,
}

#[tokio::main]
async fn main() -> Result<(), BenchError> {
    let args = BenchArgs::from_env()?;
    let server_bin = PathBuf::from(args.required("server-bin")?);
    let tools = Tools {
        wrk: PathBuf::from(args.required("wrk")?),
        pgbench: PathBuf::from(args.required("pgbench")?),
        work_dir: PathBuf::from(args.required("work-dir")?),
    };
    let shape = LoadShape {
        connections: CONNECTIONS,
        threads: 2,
        duration: Duration::from_secs(args.size(20, 5)),
        workspaces: WORKSPACES,
    };

    let database = fresh_database().await?;
    let client = connect(database.url()).await?;
    fill_workspaces(&client).await?;
    let fake = start_fake(&[])?;
    let mut env = process_env(&fake);
    env.extend([
        ("DATABASE_URL", database.url().to_owned()),
        ("PULSE_ENCRYPTION_KEY", generate_key()),
        ("PULSE_AUTH_FAILURE_LIMIT", "1000000".to_owned()),
    ]);
    let server = ServerProcess::start(&server_bin, &env, &tools.work_dir.join("serve.log")).await?;
    let measured = measure(&tools, &server, database.url(), shape).await;
    server.stop().await?;
    for (operation, (rates, latencies)) in OPERATIONS.iter().zip(measured?) {
        report(&args, operation, shape, &rates, &latencies)?;
    }
    Ok(())
}

/// 10,000 workspaces `api-N`, each enabled (not due) with key `pulse_bench_key_N`.
async fn fill_workspaces(client: &Client) -> Result<(), BenchError> {
    let workspaces = i64::from(WORKSPACES);
    client
        .execute(
            "INSERT INTO google_contacts_auto_sync_config
                 (user_id, enabled, interval_hours, next_sync_at)
             SELECT 'api-' || g, true, 24, now() + interval '1 day'
             FROM generate_series(1, $1::bigint) AS g",
            &[&workspaces],
        )
        .await?;
    client
        .execute(
            "INSERT INTO api_keys (key_hash, scope, workspace_id, name)
             SELECT encode(sha256(convert_to('pulse_bench_key_' || g, 'UTF8')), 'hex'),
                    'workspace', 'api-' || g, 'benchmark'
             FROM generate_series(1, $1::bigint) AS g",
            &[&workspaces],
        )
        .await?;
    client
        .batch_execute("ANALYZE google_contacts_auto_sync_config; ANALYZE api_keys;")
        .await?;
    Ok(())
}

/// For each operation: rounds of pgbench then wrk, as (rates, p99 latencies).
async fn measure(
    tools: &Tools,
    server: &ServerProcess,
    database_url: &str,
    shape: LoadShape,
) -> Result<Vec<(Paired, Paired)>, BenchError> {
    let scripts = scripts_dir();
    let mut measured = Vec::new();
    for operation in &OPERATIONS {
        let mut rates = Paired::new();
        let mut latencies = Paired::new();
        for round in 1..=ROUNDS {
            let reference = run_pgbench(
                &tools.pgbench,
                &scripts.join(operation.pgbench_script),
                database_url,
                shape,
                &tools.work_dir.join("pgbench-log"),
            )
            .await?;
            let ours = run_wrk(
                &tools.wrk,
                &scripts.join(operation.wrk_script),
                &server.base_url(),
                shape,
            )
            .await?;
            log_round(operation, round, ours, reference);
            rates.push(ours.per_second, reference.per_second);
            latencies.push(ours.p99_ms, reference.p99_ms);
        }
        measured.push((rates, latencies));
    }
    Ok(measured)
}

fn log_round(operation: &Operation, round: usize, ours: LoadRun, reference: LoadRun) {
    eprintln!(
        "{} round {round}: API {:.0} req/s (p99 {:.2} ms, {} unanswered), pgbench {} {:.0} tps (p99 {:.2} ms)",
        operation.method,
        ours.per_second,
        ours.p99_ms,
        ours.unanswered,
        operation.statement,
        reference.per_second,
        reference.p99_ms
    );
}

fn report(
    args: &BenchArgs,
    operation: &Operation,
    shape: LoadShape,
    rates: &Paired,
    latencies: &Paired,
) -> Result<(), BenchError> {
    let subject = format!(
        "API {} auto-sync/config, {} workspaces, {} connections, {} s",
        operation.method,
        format_number(f64::from(shape.workspaces)),
        shape.connections,
        shape.duration.as_secs()
    );
    let reference = format!(
        "pgbench, same primary-key {}, {} clients",
        operation.statement, shape.connections
    );
    Figure::paired(&subject, "req/s", rates, &reference)
        .with_goal(Goal::ratio(Bound::AtLeast(0.5)))
        .report(args)?;
    Figure::paired(
        &format!("API {} p99 latency", operation.method),
        "ms",
        latencies,
        &format!("pgbench {} p99", operation.statement),
    )
    .with_goal(Goal::value(Bound::Below(20.0)))
    .report(args)
}
