//! The guardian: a small `flock` + `sh` process that holds the data directory's lock for as long as
//! the cluster runs, and stops the server when its owner goes away, even if the owner is killed.
//!
//! The owner keeps the write end of the guardian's standard input. The guardian blocks reading it;
//! when the owner closes it (on [`Guardian::release`]) or dies (the kernel closes it), the read ends,
//! the guardian runs the stop command, exits, and the kernel drops the lock. Because the lock is a
//! kernel `flock`, a killed run never leaves a stale lock behind.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use super::LocalClusterError;
use super::programs::find_program;

/// The exit code `flock` uses when the lock is held by someone else.
const CONFLICT_EXIT_CODE: i32 = 75;

/// What the guardian prints once it holds the lock.
const LOCKED_LINE: &str = "locked";

/// The guardian's script: report the lock, wait for the owner to go, then run the stop command.
/// Terminal hang-ups and Ctrl-C are ignored so the server is still stopped after them.
const SCRIPT: &str = r#"trap '' HUP INT
echo locked
exec >/dev/null 2>&1
read -r _ignored
exec "$@"
"#;

/// A running guardian process, holding the data directory's lock.
#[derive(Debug)]
pub(super) struct Guardian {
    child: Child,
    owner_end: Option<ChildStdin>,
}

impl Guardian {
    /// Takes the lock at `lock_file`, waiting up to `wait` for another holder; `Ok(None)` when it
    /// is still held by another process after that. Once released, the guardian runs `stop_argv`.
    pub(super) fn acquire(
        lock_file: &Path,
        wait: Duration,
        stop_argv: &[OsString],
    ) -> Result<Option<Self>, LocalClusterError> {
        let flock = find_program("flock", &["/usr/bin", "/bin"]).ok_or(
            LocalClusterError::MissingProgram {
                program: "flock",
                package: "util-linux",
            },
        )?;
        let mut command = Command::new(flock);
        if wait.is_zero() {
            command.arg("--nonblock");
        } else {
            command.arg("--wait").arg(wait.as_secs().max(1).to_string());
        }
        command
            .arg("--conflict-exit-code")
            .arg(CONFLICT_EXIT_CODE.to_string())
            .arg(lock_file)
            .args(["sh", "-c", SCRIPT, "pulse-cluster-guardian"])
            .args(stop_argv)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .current_dir("/")
            // Its own process group: a Ctrl-C aimed at the owner must not stop the guardian first.
            .process_group(0);
        let mut child = command.spawn().map_err(|source| LocalClusterError::Spawn {
            program: "flock".to_owned(),
            source,
        })?;

        let mut first_line = String::new();
        if let Some(stdout) = child.stdout.take() {
            // An error reading counts as no line: the exit status below says what happened.
            let _ = BufReader::new(stdout).read_line(&mut first_line);
        }
        if first_line.trim_end() == LOCKED_LINE {
            child.stderr.take();
            return Ok(Some(Self {
                owner_end: child.stdin.take(),
                child,
            }));
        }

        drop(child.stdin.take());
        let mut printed = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = stderr.read_to_string(&mut printed);
        }
        let status = child.wait().map_err(|source| LocalClusterError::Spawn {
            program: "flock".to_owned(),
            source,
        })?;
        if status.code() == Some(CONFLICT_EXIT_CODE) {
            return Ok(None);
        }
        Err(LocalClusterError::CommandFailed {
            command: format!("flock {}", lock_file.display()),
            status,
            output: printed.trim().to_owned(),
        })
    }

    /// Lets the guardian run its stop command, and waits until it has exited and dropped the lock.
    pub(super) fn release(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        drop(self.owner_end.take());
        if let Err(error) = self.child.wait() {
            tracing::warn!(%error, "could not wait for the local cluster's guardian process");
        }
    }
}

impl Drop for Guardian {
    fn drop(&mut self) {
        if self.owner_end.is_some() {
            self.finish();
        }
    }
}
