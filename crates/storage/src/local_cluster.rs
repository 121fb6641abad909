//! A throwaway PostgreSQL that the project starts itself from the machine's server programs, for
//! tests and local runs when no `DATABASE_URL` is given.
//!
//! [`LocalCluster::start`] finds `initdb`, `pg_ctl` and `postgres` (in the directories of
//! `PULSE_PG_BIN_DIRS` when set; else on PATH, then through `pg_config --bindir`, then in the
//! newest `/usr/lib/postgresql/*/bin`), creates a cluster on first use (trust authentication, user
//! `postgres`, UTF8) and keeps it between runs, and starts it listening only on a Unix socket, in a
//! directory only the server's account can enter. As root, the server runs as the system user
//! `postgres`, since PostgreSQL refuses to run as root.
//!
//! The cluster's files (`pgdata`, `postgres.log`, `socket`) live in the data directory, or, when
//! the server's user cannot reach it (root's clone under `/root`), in a directory of that user's
//! own under `/var/tmp` named from the data directory's path, which the data directory's
//! `cluster.location` points to (see `home`). The socket moves to `/tmp/pulse-pg-<hash>` when its
//! path would be too long.
//!
//! Many processes may use one data directory at once: the first to start runs the server, the
//! others join it at once, and the server keeps running until the last of them is done. Each
//! process holds a shared kernel `flock` on `cluster.users` (through a small guardian process,
//! which also stops the server when its owner is killed, if nobody else uses it); starting and
//! stopping happen under an exclusive `flock` on `<data_dir>/cluster.control`. A killed process
//! never leaves a stale lock behind.
//!
//! [`LocalCluster::stop`] (and dropping) ends this process's use; the server stops with the last
//! user, also when that one ends without dropping it (a `static`) or is killed.

mod account;
mod binaries;
mod error;
mod guardian;
mod home;
mod install_hint;
mod locks;
mod orphans;
mod pointer;
mod programs;
mod server;
mod socket_dir;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use account::{SERVER_USER, ServerAccount};
pub use binaries::PG_BIN_DIRS_VAR;
use binaries::ServerBinaries;
pub use error::LocalClusterError;
use guardian::Guardian;
pub use guardian::StopOutcome;
pub use install_hint::InstallHint;
use locks::{CONTROL_FILE, ControlLock};
use server::{PORT, Server};

/// How long `start` waits for another process's start or stop of the same cluster to finish.
const CONTROL_WAIT: Duration = Duration::from_secs(300);

/// This process's use of a PostgreSQL server under a data directory; ended on drop.
#[derive(Debug)]
pub struct LocalCluster {
    data_dir: PathBuf,
    home: PathBuf,
    server: Server,
    guardian: Option<Guardian>,
}

impl LocalCluster {
    /// Starts (initdb on first use) the PostgreSQL server of `data_dir`, or joins it when another
    /// process runs it already; blocking.
    pub fn start(data_dir: &Path) -> Result<LocalCluster, LocalClusterError> {
        let binaries = ServerBinaries::locate()?;
        let account = ServerAccount::for_this_process()?;
        let data_dir = prepare_data_dir(data_dir)?;
        let control = ControlLock::take(&data_dir, CONTROL_WAIT)?;
        let home = home::locate(&data_dir, &account, &binaries)?;
        let server = Server::new(
            binaries.clone(),
            account.clone(),
            &home,
            socket_dir::choose(&home),
        );
        let joining = locks::has_users(&home)? && server.is_running();
        let guardian = Guardian::acquire(
            &locks::users_file(&home),
            &data_dir.join(CONTROL_FILE),
            &server.stop_argv(),
        )?;
        let started = if joining {
            tracing::info!(cluster = %home.display(), "joining the local PostgreSQL another process runs");
            Ok(())
        } else {
            start_server(&server, &account)
        };
        // The guardian takes the control lock when it lets go: release it first.
        drop(control);
        if let Err(error) = started {
            drop(guardian);
            return Err(error);
        }
        if home != data_dir {
            sweep_orphans(&home, &account, &binaries);
        }
        Ok(Self {
            data_dir,
            home,
            server,
            guardian: Some(guardian),
        })
    }

    /// A connection URL for database `name` on this cluster (user postgres).
    pub fn database_url(&self, name: &str) -> String {
        format!(
            "postgres://{SERVER_USER}@/{}?host={}&port={PORT}",
            percent_encode(name),
            self.server.socket_dir().display()
        )
    }

    /// Where the cluster's files live: the data directory, or the directory it was relocated to.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Ends this process's use of the cluster; stops the server unless other processes use it.
    pub fn stop(mut self) -> Result<StopOutcome, LocalClusterError> {
        self.release().unwrap_or(Ok(StopOutcome::LeftRunning))
    }

    /// Lets the guardian go (once), and cleans up after a stop.
    fn release(&mut self) -> Option<Result<StopOutcome, LocalClusterError>> {
        let guardian = self.guardian.take()?;
        let outcome = guardian.release();
        match &outcome {
            Ok(StopOutcome::Stopped) => {
                tracing::info!(data_dir = %self.data_dir.display(), "local PostgreSQL stopped");
                self.remove_outside_socket_dir();
            }
            Ok(StopOutcome::LeftRunning) => tracing::info!(
                data_dir = %self.data_dir.display(),
                "local PostgreSQL left running for the other processes using it"
            ),
            Err(_) => {}
        }
        Some(outcome)
    }

    /// Removes a socket directory of our making under /tmp, unless someone uses the cluster again.
    fn remove_outside_socket_dir(&self) {
        let socket_dir = self.server.socket_dir();
        if socket_dir.starts_with(&self.home) {
            return;
        }
        let Ok(Some(_control)) = ControlLock::try_take(&self.data_dir) else {
            return;
        };
        if matches!(locks::has_users(&self.home), Ok(false)) {
            let _ = std::fs::remove_dir_all(socket_dir);
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if let Some(Err(error)) = self.release() {
            tracing::warn!(%error, data_dir = %self.data_dir.display(), "could not stop the local PostgreSQL");
        }
    }
}

/// Creates `data_dir` and returns its canonical path.
fn prepare_data_dir(data_dir: &Path) -> Result<PathBuf, LocalClusterError> {
    std::fs::create_dir_all(data_dir)
        .map_err(LocalClusterError::io("create the data directory", data_dir))?;
    let data_dir = data_dir.canonicalize().map_err(LocalClusterError::io(
        "resolve the data directory",
        data_dir,
    ))?;
    let unsupported = data_dir
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .any(|byte| b"\"$`\\\n\r".contains(byte));
    if unsupported {
        return Err(LocalClusterError::UnsupportedPath { path: data_dir });
    }
    Ok(data_dir)
}

/// Brings the server up: its socket directory, what a killed run left, initdb on first use.
fn start_server(server: &Server, account: &ServerAccount) -> Result<(), LocalClusterError> {
    socket_dir::prepare(server.socket_dir(), account)?;
    server.clear_leftovers()?;
    server.init_if_needed()?;
    server.start()
}

/// Removes the relocated clusters of deleted data directories (best effort: a failure is logged).
fn sweep_orphans(keep: &Path, account: &ServerAccount, binaries: &ServerBinaries) {
    let base = home::relocation_base();
    if let Err(error) = orphans::sweep(&base, keep, account, binaries) {
        tracing::warn!(%error, base = %base.display(), "could not remove abandoned local clusters");
    }
}

/// `text` with every byte outside the URL-unreserved set written as `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}
