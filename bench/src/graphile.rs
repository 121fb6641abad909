//! The graphile-worker reference: runs `bench/graphile/noop-worker.mjs` (installed with its
//! package into a folder by `bench/run`) with Node and reads its timing.

use std::path::Path;
use std::time::Duration;

use crate::error::BenchError;

/// What one graphile-worker run reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GraphileRun {
    /// Jobs completed.
    pub completed: u64,
    /// From the worker's start until the last job was written back.
    pub elapsed: Duration,
}

/// Runs the no-op worker script in `dir` on `database_url` with `jobs` jobs and `concurrency`.
pub async fn run_noop_jobs(
    dir: &Path,
    database_url: &str,
    jobs: usize,
    concurrency: usize,
) -> Result<GraphileRun, BenchError> {
    let script = dir.join("noop-worker.mjs");
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .arg(database_url)
        .arg(jobs.to_string())
        .arg(concurrency.to_string())
        .current_dir(dir)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(BenchError::io(format!("run node {}", script.display())))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(BenchError::Invalid(format!(
            "graphile-worker failed ({}): {stdout} {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    parse_report(&stdout)
}

/// Reads `completed=N failed=N elapsed_ms=X` from the script's output.
pub fn parse_report(stdout: &str) -> Result<GraphileRun, BenchError> {
    let field = |name: &str| {
        stdout
            .split_whitespace()
            .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
            .ok_or_else(|| BenchError::Invalid(format!("no {name} in {stdout:?}")))
    };
    let completed = field("completed")?
        .parse::<u64>()
        .map_err(|error| BenchError::Invalid(format!("completed: {error}")))?;
    let elapsed_ms = field("elapsed_ms")?
        .parse::<f64>()
        .map_err(|error| BenchError::Invalid(format!("elapsed_ms: {error}")))?;
    Ok(GraphileRun {
        completed,
        elapsed: Duration::from_secs_f64(elapsed_ms / 1000.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_scripts_report() {
        let run = parse_report("completed=2000 failed=0 elapsed_ms=1647.695\n").expect("a report");
        assert_eq!(run.completed, 2000);
        assert_eq!(run.elapsed, Duration::from_secs_f64(1.647695));
        assert!(parse_report("nothing here").is_err());
    }
}
