//! The load generators of the API benchmark: wrk (with a Lua script that prints one line of
//! figures) against the server, and pgbench (with a custom script, per-transaction log) against
//! PostgreSQL; both run for a fixed time with the same number of connections.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::BenchError;
use crate::stats::percentile;

/// Where the API benchmark's scripts live.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("api")
}

/// The longest wrk waits for one answer; a slower one counts as a socket error (timeout).
const WRK_TIMEOUT: &str = "10s";

/// What one load run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadRun {
    /// Requests (or transactions) per second.
    pub per_second: f64,
    /// The 99th percentile latency, in milliseconds.
    pub p99_ms: f64,
    /// Requests without an answer (connect, read or write errors, and answers slower than the
    /// timeout); they are not in the latency histogram.
    pub unanswered: u64,
}

/// How a load run is shaped.
#[derive(Debug, Clone, Copy)]
pub struct LoadShape {
    /// Open connections (wrk) or clients (pgbench).
    pub connections: u32,
    /// Threads of the load generator.
    pub threads: u32,
    /// How long it runs.
    pub duration: Duration,
    /// The workspaces rotated over.
    pub workspaces: u32,
}

/// Runs wrk with `script` against `base_url`; any non-2xx answer fails the run.
pub async fn run_wrk(
    wrk: &Path,
    script: &Path,
    base_url: &str,
    shape: LoadShape,
) -> Result<LoadRun, BenchError> {
    let output = tokio::process::Command::new(wrk)
        .arg(format!("-t{}", shape.threads))
        .arg(format!("-c{}", shape.connections))
        .arg(format!("-d{}s", shape.duration.as_secs()))
        .arg(format!("--timeout={WRK_TIMEOUT}"))
        .arg("-s")
        .arg(script)
        .arg(base_url)
        .env("PULSE_BENCH_WORKSPACES", shape.workspaces.to_string())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(BenchError::io(format!("run {}", wrk.display())))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(BenchError::Invalid(format!(
            "wrk failed ({}): {stdout} {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    parse_wrk(&stdout)
}

/// Reads the line the Lua scripts' `done` prints; an error when any answer was not 2xx.
pub fn parse_wrk(stdout: &str) -> Result<LoadRun, BenchError> {
    let field = |name: &str| -> Result<f64, BenchError> {
        stdout
            .split_whitespace()
            .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| BenchError::Invalid(format!("no {name} in wrk's output: {stdout}")))
    };
    let refused = field("status_errors")?;
    if refused > 0.0 {
        return Err(BenchError::Invalid(format!(
            "wrk saw {refused} answers that were not 2xx: {stdout}"
        )));
    }
    let requests = field("requests")?;
    let seconds = field("duration_us")? / 1e6;
    Ok(LoadRun {
        per_second: requests / seconds,
        p99_ms: field("p99_us")? / 1000.0,
        unanswered: field("socket_errors")? as u64,
    })
}

/// Runs pgbench with `script` on `database_url` (prepared statements, no vacuum), logging each
/// transaction under `log_dir` for the latency percentile.
pub async fn run_pgbench(
    pgbench: &Path,
    script: &Path,
    database_url: &str,
    shape: LoadShape,
    log_dir: &Path,
) -> Result<LoadRun, BenchError> {
    if log_dir.exists() {
        std::fs::remove_dir_all(log_dir)
            .map_err(BenchError::io(format!("clear {}", log_dir.display())))?;
    }
    std::fs::create_dir_all(log_dir)
        .map_err(BenchError::io(format!("create {}", log_dir.display())))?;
    let prefix = log_dir.join("transactions");
    let output = tokio::process::Command::new(pgbench)
        .arg("--no-vacuum")
        .arg("--protocol=prepared")
        .arg(format!("--client={}", shape.connections))
        .arg(format!("--jobs={}", shape.threads))
        .arg(format!("--time={}", shape.duration.as_secs()))
        .arg(format!("--define=workspaces={}", shape.workspaces))
        .arg("--log")
        .arg(format!("--log-prefix={}", prefix.display()))
        .arg(format!("--file={}", script.display()))
        .arg(database_url)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(BenchError::io(format!("run {}", pgbench.display())))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(BenchError::Invalid(format!(
            "pgbench failed ({}): {stdout} {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let per_second = parse_pgbench_tps(&stdout)?;
    let mut latencies_ms = read_pgbench_latencies(log_dir)?;
    if latencies_ms.is_empty() {
        return Err(BenchError::Invalid(
            "pgbench logged no transaction".to_owned(),
        ));
    }
    Ok(LoadRun {
        per_second,
        p99_ms: percentile(&mut latencies_ms, 99.0),
        unanswered: 0,
    })
}

/// Reads `tps = N (without initial connection time)` and checks that no transaction failed.
pub fn parse_pgbench_tps(stdout: &str) -> Result<f64, BenchError> {
    let failed = stdout
        .lines()
        .find_map(|line| line.strip_prefix("number of failed transactions: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|count| count.parse::<u64>().ok())
        .unwrap_or(0);
    if failed > 0 {
        return Err(BenchError::Invalid(format!(
            "pgbench had {failed} failed transactions: {stdout}"
        )));
    }
    stdout
        .lines()
        .filter(|line| line.contains("without initial connection time"))
        .find_map(|line| {
            line.strip_prefix("tps = ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .ok_or_else(|| BenchError::Invalid(format!("no tps in pgbench's output: {stdout}")))
}

/// The latencies (third field, microseconds) of every transaction log under `log_dir`, in ms.
fn read_pgbench_latencies(log_dir: &Path) -> Result<Vec<f64>, BenchError> {
    let mut latencies = Vec::new();
    let entries = std::fs::read_dir(log_dir)
        .map_err(BenchError::io(format!("read {}", log_dir.display())))?;
    for entry in entries.flatten() {
        let text = std::fs::read_to_string(entry.path())
            .map_err(BenchError::io(format!("read {}", entry.path().display())))?;
        latencies.extend(parse_pgbench_log(&text));
    }
    Ok(latencies)
}

/// The latencies in one pgbench transaction log, in milliseconds.
pub fn parse_pgbench_log(text: &str) -> impl Iterator<Item = f64> + '_ {
    text.lines().filter_map(|line| {
        let micros: f64 = line.split_whitespace().nth(2)?.parse().ok()?;
        Some(micros / 1000.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_wrk_scripts_line_and_refuses_answers_that_are_not_2xx() {
        let line = "requests=200000 duration_us=20000000 p50_us=1500 p99_us=12000 status_errors=0 socket_errors=0\n";
        let run = parse_wrk(line).expect("a clean run");
        assert_eq!(run.per_second, 10_000.0);
        assert_eq!(run.p99_ms, 12.0);
        assert_eq!(run.unanswered, 0);
        let failing = line.replace("status_errors=0", "status_errors=3");
        assert!(parse_wrk(&failing).is_err());
        let slow = line.replace("socket_errors=0", "socket_errors=2");
        assert_eq!(
            parse_wrk(&slow).expect("counted, not refused").unanswered,
            2
        );
        assert!(parse_wrk("garbage").is_err());
    }

    #[test]
    fn reads_pgbench_tps_and_its_log() {
        let stdout = "number of transactions actually processed: 54383\nnumber of failed transactions: 0 (0.000%)\nlatency average = 0.037 ms\ntps = 54645.901432 (without initial connection time)\n";
        assert_eq!(parse_pgbench_tps(stdout).expect("tps"), 54_645.901432);
        assert!(
            parse_pgbench_tps(&stdout.replace("transactions: 0 ", "transactions: 2 ")).is_err()
        );
        let log = "0 1 250 0 1700000000 123\n1 1 1750 0 1700000000 456\n";
        assert_eq!(parse_pgbench_log(log).collect::<Vec<_>>(), vec![0.25, 1.75]);
    }
}
