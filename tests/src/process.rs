//! `ServerProcess`: one `pulse-sync` process started by a test, with its logs captured; stopped
//! with SIGTERM (graceful) or SIGKILL (`kill -9`, no goodbye), and always reaped on drop.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process};

use crate::binary::pulse_sync_binary;
use crate::logs::LogBuffer;
use crate::server_config::ServerConfig;

/// What the server logs once it accepts connections.
pub const LISTENING: &str = "listening on http://";

/// How long a process may take to listen, or to exit after SIGTERM.
const START_PATIENCE: Duration = Duration::from_secs(60);

/// Log lines shown when a test fails while the process runs.
const TAIL_ON_FAILURE: usize = 80;

/// A running `pulse-sync` process.
#[derive(Debug)]
pub struct ServerProcess {
    name: String,
    child: Child,
    logs: LogBuffer,
    base_url: Option<String>,
}

impl ServerProcess {
    /// Starts `pulse-sync <args>` with `config`'s environment (nothing else of the test's
    /// `PULSE_*`, `GOOGLE_*`, `DATABASE_URL` or `RUST_LOG` leaks in); does not wait.
    pub fn spawn(name: &str, args: &[&str], config: &ServerConfig) -> Self {
        let mut command = Command::new(pulse_sync_binary());
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (variable, _) in std::env::vars_os() {
            let text = variable.to_string_lossy();
            if ["PULSE_", "GOOGLE_", "DATABASE_URL", "RUST_LOG"]
                .iter()
                .any(|prefix| text.starts_with(prefix))
            {
                command.env_remove(&variable);
            }
        }
        command.envs(config.vars());
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start pulse-sync {args:?}: {error}"));
        let logs = LogBuffer::default();
        if let Some(stdout) = child.stdout.take() {
            logs.capture("out", stdout);
        }
        if let Some(stderr) = child.stderr.take() {
            logs.capture("err", stderr);
        }
        Self {
            name: name.to_owned(),
            child,
            logs,
            base_url: None,
        }
    }

    /// Starts `pulse-sync serve` and waits until it listens.
    pub async fn serve(name: &str, config: &ServerConfig) -> Self {
        let mut process = Self::spawn(name, &["serve"], config);
        process.wait_listening().await;
        process
    }

    /// Waits for the "listening on" line and keeps the URL it names; fails the test if the
    /// process exits first or takes longer than a minute.
    pub async fn wait_listening(&mut self) -> String {
        let deadline = tokio::time::Instant::now() + START_PATIENCE;
        loop {
            if let Some(line) = self.logs.find(LISTENING) {
                let url = url_after(&line, LISTENING);
                self.base_url = Some(url.clone());
                return url;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited with {status} before listening:\n{}",
                    self.name,
                    self.logs.tail(TAIL_ON_FAILURE)
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} did not listen within a minute:\n{}",
                self.name,
                self.logs.tail(TAIL_ON_FAILURE)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `http://127.0.0.1:PORT` as the process logged it.
    pub fn base_url(&self) -> &str {
        self.base_url
            .as_deref()
            .expect("the process has logged where it listens")
    }

    /// The process's captured output.
    pub fn logs(&self) -> &LogBuffer {
        &self.logs
    }

    /// The operating system's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9`: the process ends at once, with no chance to clean up.
    pub fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL is delivered");
        let status = self.child.wait().expect("the killed process is reaped");
        assert!(!status.success(), "a killed process does not succeed");
    }

    /// SIGTERM, then waits (bounded) for the exit status.
    pub async fn terminate(&mut self) -> ExitStatus {
        self.signal(Signal::TERM);
        self.wait_exit(START_PATIENCE).await.unwrap_or_else(|| {
            panic!(
                "{} did not exit within a minute of SIGTERM:\n{}",
                self.name,
                self.logs.tail(TAIL_ON_FAILURE)
            )
        })
    }

    /// Sends `signal` to the process.
    pub fn signal(&self, signal: Signal) {
        let pid = Pid::from_child(&self.child);
        kill_process(pid, signal).expect("the signal is delivered");
    }

    /// The exit status once the process ended, or `None` after `patience`.
    pub async fn wait_exit(&mut self, patience: Duration) -> Option<ExitStatus> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "---- last lines of {} ----\n{}\n---- end of {} ----",
                self.name,
                self.logs.tail(TAIL_ON_FAILURE),
                self.name
            );
        }
    }
}

/// The first `http://` or `https://` URL at or after `marker` in `line` (up to a quote, space,
/// backslash, comma or the end), or an empty string.
pub fn url_after(line: &str, marker: &str) -> String {
    let from = line.find(marker).unwrap_or(0);
    let Some(start) = line[from..].find("http").map(|index| from + index) else {
        return String::new();
    };
    let rest = &line[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\\' | ',' | '\''))
        .unwrap_or(rest.len());
    rest[..end].to_owned()
}
