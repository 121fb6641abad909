//! Removing relocated clusters that no data directory can reach any more: their data directory
//! was deleted (`rm -rf .pulse-data`), so nothing would ever start, use or remove them. Any start
//! that relocates sweeps them, leaving alone those still in use and those made only minutes ago
//! (whose data directory may be being created right now).

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::LocalClusterError;
use super::account::ServerAccount;
use super::binaries::ServerBinaries;
use super::home::{self, RELOCATED_PREFIX};
use super::locks;
use super::pointer::{self, OWNER_FILE};

/// How old a relocated directory must be before it counts as abandoned.
pub(super) const MIN_AGE: Duration = Duration::from_secs(10 * 60);

/// Removes the abandoned relocated clusters under `base` other than `keep`; returns how many.
pub(super) fn sweep(
    base: &Path,
    keep: &Path,
    account: &ServerAccount,
    binaries: &ServerBinaries,
) -> Result<usize, LocalClusterError> {
    let entries = std::fs::read_dir(base).map_err(LocalClusterError::io("list", base))?;
    let mut removed = 0;
    for entry in entries.flatten() {
        let dir = entry.path();
        let named_like_one = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(RELOCATED_PREFIX) && !name.contains('.'));
        if !named_like_one || dir == keep || !is_abandoned(&dir, account)? {
            continue;
        }
        home::remove(&dir, account, binaries)?;
        tracing::info!(cluster = %dir.display(), "removed a local PostgreSQL whose data directory was deleted");
        removed += 1;
    }
    Ok(removed)
}

/// Whether `dir` is a relocated cluster of the server's account whose data directory is gone, old
/// enough, and unused.
fn is_abandoned(dir: &Path, account: &ServerAccount) -> Result<bool, LocalClusterError> {
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return Ok(false);
    };
    if !meta.is_dir() || meta.uid() != account.uid() {
        return Ok(false);
    }
    let Some(owner) = pointer::read_owner(dir) else {
        return Ok(false);
    };
    let old_enough = std::fs::metadata(dir.join(OWNER_FILE))
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|written| SystemTime::now().duration_since(written).ok())
        .is_some_and(|age| age >= MIN_AGE);
    if owner.exists() || !old_enough {
        return Ok(false);
    }
    Ok(!locks::has_users(dir)?)
}
