//! Child processes of the benchmarks: running one while sampling its memory from
//! `/proc/<pid>/status`, and reading a line of its output.

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::error::BenchError;

/// How often a child's memory is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(5);

/// What a child's memory did over its life, in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryPeak {
    /// The kernel's high-water mark of the resident set (`VmHWM`), last read before the exit.
    pub high_water_kib: u64,
    /// The largest resident set (`VmRSS`) sampled.
    pub largest_sample_kib: u64,
}

/// A finished child: its exit status, output and memory peak.
#[derive(Debug)]
pub struct Finished {
    /// How it exited.
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// Its memory peak.
    pub memory: MemoryPeak,
    /// From spawn to exit.
    pub elapsed: Duration,
}

/// Reads one `Vm...:   N kB` field of `/proc/<pid>/status`.
pub fn status_field_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Runs `program` with `args` and `env` (added to this process's environment) to its end,
/// sampling its memory until it exits or `timeout` passes (then it is killed: an error).
pub async fn run_sampling_memory(
    program: &Path,
    args: &[&str],
    env: &[(&str, String)],
    timeout: Duration,
) -> Result<Finished, BenchError> {
    let mut command = Command::new(program);
    command
        .args(args)
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(BenchError::io(format!("start {}", program.display())))?;
    let pid = child
        .id()
        .ok_or_else(|| BenchError::Invalid("the child exited before it was sampled".to_owned()))?;
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    let status_path = format!("/proc/{pid}/status");
    let mut memory = MemoryPeak::default();
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            sample(&status, &mut memory);
        }
        if let Some(status) = child
            .try_wait()
            .map_err(BenchError::io("wait for the child"))?
        {
            break status;
        }
        if started.elapsed() > timeout {
            kill(&mut child).await;
            return Err(BenchError::Invalid(format!(
                "{} ran longer than {} s",
                program.display(),
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(SAMPLE_EVERY).await;
    };
    let elapsed = started.elapsed();
    Ok(Finished {
        status,
        stdout: stdout.await.unwrap_or_default(),
        stderr: stderr.await.unwrap_or_default(),
        memory,
        elapsed,
    })
}

fn sample(status: &str, memory: &mut MemoryPeak) {
    if let Some(high_water) = status_field_kib(status, "VmHWM") {
        memory.high_water_kib = memory.high_water_kib.max(high_water);
    }
    if let Some(resident) = status_field_kib(status, "VmRSS") {
        memory.largest_sample_kib = memory.largest_sample_kib.max(resident);
    }
}

async fn kill(child: &mut Child) {
    let _ = child.kill().await;
}

fn read_all<R>(stream: Option<R>) -> tokio::task::JoinHandle<String>
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut text = String::new();
        if let Some(mut stream) = stream {
            let mut bytes = Vec::new();
            let _ = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut bytes).await;
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kib_fields_of_proc_status() {
        let status =
            "Name:\tpulse-sync\nVmPeak:\t  812345 kB\nVmHWM:\t   40960 kB\nVmRSS:\t   30720 kB\n";
        assert_eq!(status_field_kib(status, "VmHWM"), Some(40_960));
        assert_eq!(status_field_kib(status, "VmRSS"), Some(30_720));
        assert_eq!(status_field_kib(status, "VmSwap"), None);
        let mut memory = MemoryPeak::default();
        sample(status, &mut memory);
        assert_eq!(memory.high_water_kib, 40_960);
        assert_eq!(memory.largest_sample_kib, 30_720);
    }

    #[tokio::test]
    async fn samples_a_real_child_to_its_exit() {
        let finished = run_sampling_memory(
            Path::new("/bin/sh"),
            &["-c", "echo out; echo err >&2; sleep 0.05"],
            &[],
            Duration::from_secs(10),
        )
        .await
        .expect("sh runs");
        assert!(finished.status.success());
        assert_eq!(finished.stdout, "out\n");
        assert_eq!(finished.stderr, "err\n");
        assert!(finished.memory.high_water_kib > 0);
    }
}
