//! The guardian: a small `sh` process (driving the `flock` program) that holds this process's
//! shared lock on `cluster.users` for as long as it uses the cluster, and when this process is done
//! (or dies), stops the server if nobody else uses it.
//!
//! The owner keeps the write end of the guardian's standard input. The guardian blocks reading it;
//! when the owner closes it (on [`Guardian::release`]) or dies (the kernel closes it), the read
//! ends. The guardian then takes the data directory's `cluster.control` lock, so no other process
//! starts or joins meanwhile, and tries to turn its shared lock into an exclusive one without
//! waiting: that succeeds only when no other process uses the cluster, and then it runs the stop
//! command. Otherwise it leaves the server to the others. Because the locks are kernel `flock`s, a
//! killed process never leaves a stale lock behind.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use super::LocalClusterError;
use super::programs::find_program;

/// What the guardian prints once it holds its shared lock.
const LOCKED_LINE: &str = "locked";

/// The guardian's exit code when other processes still use the server, so it was left running.
const LEFT_RUNNING_EXIT_CODE: i32 = 10;

/// The guardian's script (arguments: flock, users file, control file, stop command...): take the
/// shared users lock and report it; wait for the owner to go; then, under the control lock, stop
/// the server if this was its last user, else exit with [`LEFT_RUNNING_EXIT_CODE`]. Terminal
/// hang-ups and Ctrl-C are ignored so the server is still stopped after them.
const SCRIPT: &str = r#"trap '' HUP INT
flock=$1 users=$2 control=$3
shift 3
exec 8>>"$users" 9>>"$control" || exit 70
"$flock" --shared --wait 120 8 || exit 71
echo locked
exec >/dev/null 2>&1
read -r _ignored
"$flock" 9 || exit 72
if "$flock" --nonblock 8; then
    "$@"
    exit $?
fi
exit 10
"#;

/// What became of the server when a process finished using it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// This process was its last user: the server is stopped.
    Stopped,
    /// Other processes still use it: it keeps running for them.
    LeftRunning,
}

/// A running guardian process, holding this process's share of the cluster.
#[derive(Debug)]
pub(super) struct Guardian {
    child: Child,
    owner_end: Option<ChildStdin>,
}

impl Guardian {
    /// Starts a guardian holding a shared lock on `users_file`; once released, it runs `stop_argv`
    /// under the lock of `control_file` if no other process holds `users_file` by then.
    pub(super) fn acquire(
        users_file: &Path,
        control_file: &Path,
        stop_argv: &[OsString],
    ) -> Result<Self, LocalClusterError> {
        let flock = find_program("flock", &["/usr/bin", "/bin"]).ok_or(
            LocalClusterError::MissingProgram {
                program: "flock",
                package: "util-linux",
            },
        )?;
        let mut command = Command::new("sh");
        command
            .args(["-c", SCRIPT, "pulse-cluster-guardian"])
            .arg(flock)
            .arg(users_file)
            .arg(control_file)
            .args(stop_argv)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .current_dir("/")
            // Its own process group: a Ctrl-C aimed at the owner must not stop the guardian first.
            .process_group(0);
        let mut child = command.spawn().map_err(|source| LocalClusterError::Spawn {
            program: "sh (the local cluster's guardian)".to_owned(),
            source,
        })?;

        let mut first_line = String::new();
        if let Some(stdout) = child.stdout.take() {
            // An error reading counts as no line: the exit status below says what happened.
            let _ = BufReader::new(stdout).read_line(&mut first_line);
        }
        if first_line.trim_end() == LOCKED_LINE {
            child.stderr.take();
            return Ok(Self {
                owner_end: child.stdin.take(),
                child,
            });
        }

        drop(child.stdin.take());
        let mut printed = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = stderr.read_to_string(&mut printed);
        }
        let status = child.wait().map_err(|source| LocalClusterError::Spawn {
            program: "sh (the local cluster's guardian)".to_owned(),
            source,
        })?;
        Err(LocalClusterError::CommandFailed {
            command: format!("flock --shared {}", users_file.display()),
            status,
            output: printed.trim().to_owned(),
        })
    }

    /// Lets the guardian go, and waits until it has stopped the server (if this process was the
    /// last user) and exited.
    pub(super) fn release(mut self) -> Result<StopOutcome, LocalClusterError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<StopOutcome, LocalClusterError> {
        drop(self.owner_end.take());
        let status = self
            .child
            .wait()
            .map_err(|source| LocalClusterError::Spawn {
                program: "sh (the local cluster's guardian)".to_owned(),
                source,
            })?;
        match status.code() {
            Some(0) => Ok(StopOutcome::Stopped),
            Some(LEFT_RUNNING_EXIT_CODE) => Ok(StopOutcome::LeftRunning),
            _ => Err(LocalClusterError::CommandFailed {
                command: "pg_ctl stop (by the local cluster's guardian)".to_owned(),
                status,
                output: String::new(),
            }),
        }
    }
}

impl Drop for Guardian {
    fn drop(&mut self) {
        if self.owner_end.is_some()
            && let Err(error) = self.finish()
        {
            tracing::warn!(%error, "the local cluster's guardian could not stop the server");
        }
    }
}
