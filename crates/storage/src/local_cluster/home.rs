//! Where a data directory's cluster keeps its files (`pgdata`, `postgres.log`, `socket`,
//! `cluster.users`): its home. That is the data directory itself, unless the server runs as
//! another user (as root, `postgres`) who cannot reach it, as in a clone under `/root`. Then the
//! home is a directory of that user's own, `/var/tmp/pulse-pg-<hash of the data directory's
//! path>` (or under the system's temporary directory), recorded in the data directory's pointer so
//! the next start finds it again. A relocated directory that belongs to another data directory is
//! never used: the next name (`…-1`, `…-2`) is tried instead.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::LocalClusterError;
use super::account::{SERVER_USER, ServerAccount};
use super::binaries::ServerBinaries;
use super::locks;
use super::pointer::{self, POINTER_FILE, Pointer};
use super::server::{PGDATA, Server};
use super::socket_dir::{self, fnv1a};

/// The preferred parent of relocated clusters: kept across reboots, unlike `/tmp` on many systems.
const PREFERRED_BASE: &str = "/var/tmp";

/// The name every relocated cluster's directory starts with.
pub(super) const RELOCATED_PREFIX: &str = "pulse-pg-";

/// How many names (`<hash>`, `<hash>-1`, …) are tried before giving up.
const MAX_CANDIDATES: u32 = 16;

/// What a possible relocated directory is to a data directory.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Candidate {
    /// Nothing is there.
    Missing,
    /// A directory of the server's account that belongs to this data directory.
    Ours,
    /// Something else: another data directory's cluster, or not the server's.
    Taken,
}

/// The home of `data_dir`'s cluster; the caller holds the data directory's control lock.
pub(super) fn locate(
    data_dir: &Path,
    account: &ServerAccount,
    binaries: &ServerBinaries,
) -> Result<PathBuf, LocalClusterError> {
    if !account.is_switched() || data_dir.join(PGDATA).exists() {
        return in_place(data_dir, account);
    }
    if let Some(home) = pointed_home(data_dir, account)? {
        log_relocation(data_dir, &home);
        return Ok(home);
    }
    let parent = data_dir.parent().unwrap_or(data_dir);
    if account.can_enter(parent) {
        return in_place(data_dir, account);
    }
    let home = relocate(data_dir, account, binaries)?;
    log_relocation(data_dir, &home);
    Ok(home)
}

/// The parent of relocated clusters: `/var/tmp`, else the system's temporary directory.
pub(super) fn relocation_base() -> PathBuf {
    let preferred = Path::new(PREFERRED_BASE);
    if preferred.is_dir() {
        preferred.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// What `dir` is to `data_dir`.
pub(super) fn inspect(
    dir: &Path,
    data_dir: &Path,
    account: &ServerAccount,
) -> Result<Candidate, LocalClusterError> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Candidate::Missing);
        }
        Err(error) => return Err(LocalClusterError::io("inspect", dir)(error)),
    };
    let ours = meta.is_dir()
        && meta.uid() == account.uid()
        && pointer::read_owner(dir).as_deref() == Some(data_dir);
    Ok(if ours {
        Candidate::Ours
    } else {
        Candidate::Taken
    })
}

/// The data directory itself, handed to the server's account.
fn in_place(data_dir: &Path, account: &ServerAccount) -> Result<PathBuf, LocalClusterError> {
    account.take_ownership(data_dir)?;
    account.ensure_writable(data_dir)?;
    Ok(data_dir.to_path_buf())
}

/// The relocated home the data directory's pointer names, when it is still this directory's.
fn pointed_home(
    data_dir: &Path,
    account: &ServerAccount,
) -> Result<Option<PathBuf>, LocalClusterError> {
    let Some(pointer) = Pointer::read(data_dir) else {
        return Ok(None);
    };
    let pointer_file = data_dir.join(POINTER_FILE);
    if pointer.data_dir != data_dir {
        tracing::warn!(
            pointer = %pointer_file.display(),
            written_for = %pointer.data_dir.display(),
            "ignoring a cluster pointer written for another data directory"
        );
        return Ok(None);
    }
    match inspect(&pointer.cluster, data_dir, account)? {
        Candidate::Ours => Ok(Some(pointer.cluster)),
        Candidate::Missing => {
            tracing::warn!(
                pointer = %pointer_file.display(),
                cluster = %pointer.cluster.display(),
                "the local PostgreSQL this data directory pointed to is gone: making a new, empty one"
            );
            Ok(None)
        }
        Candidate::Taken => {
            tracing::warn!(
                pointer = %pointer_file.display(),
                cluster = %pointer.cluster.display(),
                "the directory this data directory pointed to belongs to another one: making a new, empty cluster"
            );
            Ok(None)
        }
    }
}

/// Makes (or takes back) a relocated home for `data_dir` and points the data directory at it.
fn relocate(
    data_dir: &Path,
    account: &ServerAccount,
    binaries: &ServerBinaries,
) -> Result<PathBuf, LocalClusterError> {
    let base = relocation_base();
    let stem = format!(
        "{RELOCATED_PREFIX}{:016x}",
        fnv1a(data_dir.as_os_str().as_encoded_bytes())
    );
    for attempt in 0..MAX_CANDIDATES {
        let name = match attempt {
            0 => stem.clone(),
            n => format!("{stem}-{n}"),
        };
        let dir = base.join(&name);
        match inspect(&dir, data_dir, account)? {
            Candidate::Missing => {}
            // Ours, but the pointer does not name it: left by a data directory of this path that
            // was removed. Start afresh there, unless a process of that old directory still runs.
            Candidate::Ours if !locks::has_users(&dir)? => {
                remove(&dir, account, binaries)?;
            }
            Candidate::Ours | Candidate::Taken => continue,
        }
        create(&base, &name, data_dir, account)?;
        Pointer {
            data_dir: data_dir.to_path_buf(),
            cluster: dir.clone(),
        }
        .write()?;
        return Ok(dir);
    }
    Err(LocalClusterError::NoRelocation {
        base,
        data_dir: data_dir.to_path_buf(),
    })
}

/// Creates `base/name` for `data_dir`, whole or not at all: owned by the server's account, mode
/// 0700, with its owner record.
fn create(
    base: &Path,
    name: &str,
    data_dir: &Path,
    account: &ServerAccount,
) -> Result<(), LocalClusterError> {
    let partial = base.join(format!("{name}.partial-{}", std::process::id()));
    let dir = base.join(name);
    let made = std::fs::create_dir(&partial)
        .map_err(LocalClusterError::io("create", &partial))
        .and_then(|()| {
            std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o700))
                .map_err(LocalClusterError::io("restrict", &partial))
        })
        .and_then(|()| pointer::write_owner(&partial, data_dir))
        .and_then(|()| account.take_ownership(&partial))
        .and_then(|()| {
            std::fs::rename(&partial, &dir).map_err(LocalClusterError::io("create", &dir))
        });
    if made.is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    made
}

/// Stops a server left running in the relocated `dir` (nobody uses it) and removes `dir`.
pub(super) fn remove(
    dir: &Path,
    account: &ServerAccount,
    binaries: &ServerBinaries,
) -> Result<(), LocalClusterError> {
    let server = Server::new(
        binaries.clone(),
        account.clone(),
        dir,
        socket_dir::choose(dir),
    );
    if server.is_running() {
        server.stop()?;
    }
    // Renamed first, so no one finds a half-removed cluster under the real name.
    let doomed = dir.with_extension(format!("removing-{}", std::process::id()));
    std::fs::rename(dir, &doomed).map_err(LocalClusterError::io("remove", dir))?;
    std::fs::remove_dir_all(&doomed).map_err(LocalClusterError::io("remove", &doomed))
}

/// The one log line saying where a relocated cluster lives.
fn log_relocation(data_dir: &Path, home: &Path) {
    tracing::info!(
        data_dir = %data_dir.display(),
        cluster = %home.display(),
        "the `{SERVER_USER}` user cannot reach the data directory, so its local PostgreSQL lives in {} (recorded in {})",
        home.display(),
        data_dir.join(POINTER_FILE).display()
    );
}
