//! The PostgreSQL server of one data directory: `initdb` on first use, clearing what a killed run
//! left behind, and `pg_ctl start` / `pg_ctl stop`, all run as the server's account.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::LocalClusterError;
use super::account::{SERVER_USER, ServerAccount};
use super::binaries::ServerBinaries;
use super::programs::{printed_tail, run, tail};

/// The port number in the socket's name (`.s.PGSQL.<port>`); the server opens no TCP port.
pub(super) const PORT: u16 = 5432;

/// The cluster's files' directory name, in its home.
pub(super) const PGDATA: &str = "pgdata";

/// How many seconds `pg_ctl` waits for the server to start or stop.
const PG_CTL_TIMEOUT_SECS: &str = "120";

/// How much of the server log a start failure carries.
const LOG_TAIL_BYTES: usize = 3_000;

/// One cluster's programs, account and paths.
#[derive(Debug)]
pub(super) struct Server {
    binaries: ServerBinaries,
    account: ServerAccount,
    pgdata: PathBuf,
    log: PathBuf,
    socket_dir: PathBuf,
}

impl Server {
    /// The server for the cluster whose files are in `home` (`home/pgdata`, its log
    /// `home/postgres.log`), listening in `socket_dir`.
    pub(super) fn new(
        binaries: ServerBinaries,
        account: ServerAccount,
        home: &Path,
        socket_dir: PathBuf,
    ) -> Self {
        Self {
            binaries,
            account,
            pgdata: home.join(PGDATA),
            log: home.join("postgres.log"),
            socket_dir,
        }
    }

    /// Whether the server of this cluster is running (its `postmaster.pid` names a live
    /// PostgreSQL; `pg_ctl status` decides where /proc cannot tell).
    pub(super) fn is_running(&self) -> bool {
        let Some(pid) = recorded_pid(&self.pgdata.join("postmaster.pid")) else {
            return false;
        };
        if let Some(running) = is_postgres_process(pid) {
            return running;
        }
        let args: [&OsStr; 3] = [
            "status".as_ref(),
            "--pgdata".as_ref(),
            self.pgdata.as_os_str(),
        ];
        self.command(&self.binaries.pg_ctl(), &args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// The directory holding the server's socket.
    pub(super) fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Creates the cluster unless `pgdata` already holds one. `initdb` writes into a side
    /// directory that is renamed into place only when complete, so an interrupted run leaves no
    /// half-made cluster behind.
    pub(super) fn init_if_needed(&self) -> Result<(), LocalClusterError> {
        if self.pgdata.join("PG_VERSION").is_file() {
            tracing::debug!(pgdata = %self.pgdata.display(), "reusing the existing local cluster");
            return Ok(());
        }
        let partial = self.pgdata.with_extension("partial");
        if partial.exists() {
            std::fs::remove_dir_all(&partial).map_err(LocalClusterError::io(
                "remove the interrupted initdb in",
                &partial,
            ))?;
        }
        tracing::info!(
            pgdata = %self.pgdata.display(),
            bin_dir = %self.binaries.bin_dir().display(),
            "creating a new local PostgreSQL cluster"
        );
        let args: [&OsStr; 7] = [
            "--pgdata".as_ref(),
            partial.as_os_str(),
            "--username".as_ref(),
            SERVER_USER.as_ref(),
            "--auth=trust".as_ref(),
            "--encoding=UTF8".as_ref(),
            "--locale=C".as_ref(),
        ];
        run(self.command(&self.binaries.initdb(), &args), "initdb")?;
        std::fs::rename(&partial, &self.pgdata).map_err(LocalClusterError::io(
            "move the new cluster into",
            &self.pgdata,
        ))
    }

    /// Clears what a killed run may have left: a server still running from this data directory
    /// (its users are gone, since the caller holds the control lock and found none) is stopped; a `postmaster.pid` whose
    /// process is not a live PostgreSQL (the pid may be reused by then) and stale socket files
    /// are removed, since PostgreSQL would refuse to start over them.
    pub(super) fn clear_leftovers(&self) -> Result<(), LocalClusterError> {
        let pid_file = self.pgdata.join("postmaster.pid");
        if let Some(pid) = recorded_pid(&pid_file) {
            match is_postgres_process(pid) {
                Some(true) => {
                    tracing::warn!(pid, pgdata = %self.pgdata.display(), "stopping a local PostgreSQL left running by a previous run");
                    self.stop()?;
                }
                Some(false) => {
                    tracing::info!(pid, "removing the postmaster.pid left by a killed run");
                    remove_if_present(&pid_file)?;
                }
                None => {}
            }
        }
        remove_if_present(&self.socket_dir.join(format!(".s.PGSQL.{PORT}")))?;
        remove_if_present(&self.socket_dir.join(format!(".s.PGSQL.{PORT}.lock")))
    }

    /// Starts the server and waits until it accepts connections.
    pub(super) fn start(&self) -> Result<(), LocalClusterError> {
        // pg_ctl hands these options to `postgres` through a shell, hence the quoting; the socket
        // directory holds only characters that need none (see `socket_dir`).
        let options = format!(
            "-c listen_addresses='' -c port={PORT} -c unix_socket_directories='{}'",
            self.socket_dir.display()
        );
        let args: [&OsStr; 10] = [
            "start".as_ref(),
            "--wait".as_ref(),
            "--timeout".as_ref(),
            PG_CTL_TIMEOUT_SECS.as_ref(),
            "--pgdata".as_ref(),
            self.pgdata.as_os_str(),
            "--log".as_ref(),
            self.log.as_os_str(),
            "-o".as_ref(),
            options.as_ref(),
        ];
        let output = self
            .command(&self.binaries.pg_ctl(), &args)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|source| LocalClusterError::Spawn {
                program: "pg_ctl start".to_owned(),
                source,
            })?;
        if output.status.success() {
            tracing::info!(
                socket_dir = %self.socket_dir.display(),
                pgdata = %self.pgdata.display(),
                "local PostgreSQL is accepting connections"
            );
            return Ok(());
        }
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        Err(LocalClusterError::StartFailed {
            output: printed_tail(&output),
            log: self.log.clone(),
            log_tail: tail(&log, LOG_TAIL_BYTES).to_owned(),
        })
    }

    /// Stops the server (fast shutdown: open sessions are ended) and waits until it is down.
    pub(super) fn stop(&self) -> Result<(), LocalClusterError> {
        let args = self.stop_args();
        let args: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
        run(self.command(&self.binaries.pg_ctl(), &args), "pg_ctl stop")?;
        tracing::info!(pgdata = %self.pgdata.display(), "local PostgreSQL stopped");
        Ok(())
    }

    /// The argument vector of the stop command, as the server's account.
    pub(super) fn stop_argv(&self) -> Vec<OsString> {
        let args = self.stop_args();
        let args: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
        self.account.argv(&self.binaries.pg_ctl(), &args)
    }

    /// `pg_ctl`'s arguments for a fast shutdown that waits until the server is down.
    fn stop_args(&self) -> Vec<OsString> {
        [
            "stop",
            "--wait",
            "--timeout",
            PG_CTL_TIMEOUT_SECS,
            "--mode",
            "fast",
            "--pgdata",
        ]
        .into_iter()
        .map(OsString::from)
        .chain([self.pgdata.clone().into_os_string()])
        .collect()
    }

    /// A command running `program` as the server's account, from a directory it can enter.
    fn command(&self, program: &Path, args: &[&OsStr]) -> std::process::Command {
        let mut command = self.account.command(program, args);
        command.current_dir("/");
        command
    }
}

/// The process id on the first line of a `postmaster.pid`, if the file is there.
fn recorded_pid(pid_file: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(pid_file).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// Whether `pid` is a running PostgreSQL server; `None` when /proc cannot tell.
fn is_postgres_process(pid: u32) -> Option<bool> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    Some(matches!(name.trim(), "postgres" | "postmaster"))
}

/// Removes `path` if it exists.
fn remove_if_present(path: &Path) -> Result<(), LocalClusterError> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(LocalClusterError::io("remove", path)(error))
        }
        _ => Ok(()),
    }
}
