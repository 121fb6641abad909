//! The two kernel `flock`s that let many processes share one cluster. `cluster.control`, in the
//! data directory, is held exclusively for the short moments a process decides where the cluster
//! lives and starts or stops its server. `cluster.users`, beside the server's files, is held
//! shared by every process using the cluster (through its guardian); whoever can take it
//! exclusively knows nobody else is left. The kernel drops both when their holder dies, so a
//! killed process never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::LocalClusterError;

/// The control lock's file name, in the data directory.
pub(super) const CONTROL_FILE: &str = "cluster.control";

/// The users lock's file name, beside the cluster's files.
pub(super) const USERS_FILE: &str = "cluster.users";

/// How often a waiting process tries the control lock again.
const RETRY_EVERY: Duration = Duration::from_millis(50);

/// The control lock of a data directory, held by this process until dropped.
#[derive(Debug)]
pub(super) struct ControlLock {
    _file: File,
}

impl ControlLock {
    /// Takes the control lock of `data_dir`, waiting up to `wait` for another process's start or
    /// stop to finish.
    pub(super) fn take(data_dir: &Path, wait: Duration) -> Result<Self, LocalClusterError> {
        let path = data_dir.join(CONTROL_FILE);
        let file = open(&path)?;
        let deadline = Instant::now() + wait;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(RETRY_EVERY);
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(LocalClusterError::Busy {
                        path: data_dir.to_path_buf(),
                    });
                }
                Err(TryLockError::Error(error)) => {
                    return Err(LocalClusterError::io("lock", path)(error));
                }
            }
        }
    }

    /// Takes the control lock of `data_dir` only if nobody holds it now.
    pub(super) fn try_take(data_dir: &Path) -> Result<Option<Self>, LocalClusterError> {
        let path = data_dir.join(CONTROL_FILE);
        let file = open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(error)) => Err(LocalClusterError::io("lock", path)(error)),
        }
    }
}

/// Whether any process holds the users lock in `dir` (a missing file means none does).
pub(super) fn has_users(dir: &Path) -> Result<bool, LocalClusterError> {
    let path = users_file(dir);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(LocalClusterError::io("open", path)(error)),
    };
    match file.try_lock() {
        Ok(()) => Ok(false),
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(error)) => Err(LocalClusterError::io("lock", path)(error)),
    }
}

/// The users lock file of the cluster whose files are in `dir`.
pub(super) fn users_file(dir: &Path) -> PathBuf {
    dir.join(USERS_FILE)
}

/// Opens (creating it) a lock file.
fn open(path: &Path) -> Result<File, LocalClusterError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(LocalClusterError::io("open", path))
}
