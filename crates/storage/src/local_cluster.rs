//! A throwaway PostgreSQL that the project starts itself from the machine's server programs, for
//! tests and local runs when no `DATABASE_URL` is given.
//!
//! [`LocalCluster::start`] finds `initdb`, `pg_ctl` and `postgres` (on PATH, then through
//! `pg_config --bindir`, then in the newest `/usr/lib/postgresql/*/bin`), creates a cluster in
//! `<data_dir>/pgdata` on first use (trust authentication, user `postgres`, UTF8) and keeps it
//! between runs, and starts it listening only on a Unix socket, in a directory only the server's
//! account can enter: `<data_dir>/socket`, or `/tmp/pulse-pg-<hash>` when that path would be too
//! long for a socket. The server's log is `<data_dir>/postgres.log`. As root, the server runs as the
//! system user `postgres`, since PostgreSQL refuses to run as root.
//!
//! A data directory serves one owner at a time: it is locked (a kernel `flock` on
//! `<data_dir>/cluster.lock`, held by a small guardian process) from `start` until its server is
//! stopped. A second `start` on the same directory waits up to 30 seconds for the first owner to
//! finish, then fails with [`LocalClusterError::InUse`]; it never touches a running cluster's
//! files. Within a process, share one `LocalCluster` (for example in a `OnceLock`); give processes
//! that run at the same time their own directories.
//!
//! The server is stopped by [`LocalCluster::stop`] and on drop, and also when the owning process
//! ends without dropping it (a `static`) or is killed: the guardian notices and stops it.

mod account;
mod binaries;
mod error;
mod guardian;
mod programs;
mod server;
mod socket_dir;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use account::{SERVER_USER, ServerAccount};
use binaries::ServerBinaries;
pub use error::LocalClusterError;
use guardian::Guardian;
use server::{PORT, Server};

/// How long `start` waits for another process to finish with the data directory.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// A PostgreSQL server started by this process in a data directory it owns; stopped on drop.
#[derive(Debug)]
pub struct LocalCluster {
    data_dir: PathBuf,
    server: Server,
    guardian: Option<Guardian>,
}

impl LocalCluster {
    /// Starts (initdb on first use) a PostgreSQL server owned by this process under `data_dir`; blocking.
    pub fn start(data_dir: &Path) -> Result<LocalCluster, LocalClusterError> {
        Self::start_waiting(data_dir, LOCK_WAIT)
    }

    /// Like [`LocalCluster::start`], waiting up to `lock_wait` for a busy data directory.
    fn start_waiting(data_dir: &Path, lock_wait: Duration) -> Result<Self, LocalClusterError> {
        let binaries = ServerBinaries::locate()?;
        let account = ServerAccount::for_this_process()?;
        let data_dir = prepare_data_dir(data_dir, &account)?;
        let socket_dir = socket_dir::choose(&data_dir);
        let server = Server::new(binaries, account.clone(), &data_dir, socket_dir);
        let guardian = lock(&data_dir, lock_wait, &server)?;
        // From here on, an early return drops the guardian, which stops whatever was started.
        socket_dir::prepare(server.socket_dir(), &account)?;
        server.clear_leftovers()?;
        server.init_if_needed()?;
        server.start()?;
        Ok(Self {
            data_dir,
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

    /// Stops the server (also done on Drop).
    pub fn stop(&mut self) -> Result<(), LocalClusterError> {
        let Some(guardian) = self.guardian.take() else {
            return Ok(());
        };
        let stopped = self.server.stop();
        let socket_dir = self.server.socket_dir();
        if stopped.is_ok() && !socket_dir.starts_with(&self.data_dir) {
            // A directory under /tmp of our own making: leave nothing behind there.
            let _ = std::fs::remove_dir_all(socket_dir);
        }
        guardian.release();
        stopped
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::warn!(%error, data_dir = %self.data_dir.display(), "could not stop the local PostgreSQL");
        }
    }
}

/// Creates `data_dir`, hands it to the server's account, and returns its absolute path.
fn prepare_data_dir(
    data_dir: &Path,
    account: &ServerAccount,
) -> Result<PathBuf, LocalClusterError> {
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
    account.take_ownership(&data_dir)?;
    account.ensure_writable(&data_dir)?;
    Ok(data_dir)
}

/// Takes the data directory's lock, waiting up to `wait` if another process holds it.
fn lock(data_dir: &Path, wait: Duration, server: &Server) -> Result<Guardian, LocalClusterError> {
    let lock_file = data_dir.join("cluster.lock");
    let stop_argv = server.stop_argv();
    if let Some(guardian) = Guardian::acquire(&lock_file, Duration::ZERO, &stop_argv)? {
        return Ok(guardian);
    }
    if !wait.is_zero() {
        tracing::info!(
            data_dir = %data_dir.display(),
            "another process is using this local PostgreSQL; waiting up to {} s for it to finish",
            wait.as_secs()
        );
        if let Some(guardian) = Guardian::acquire(&lock_file, wait, &stop_argv)? {
            return Ok(guardian);
        }
    }
    Err(LocalClusterError::InUse {
        path: data_dir.to_path_buf(),
    })
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
