//! Choosing the directory for the server's Unix socket: inside the data directory when the socket's
//! path fits the kernel's limit (about 107 bytes), else a directory under /tmp named after the data
//! directory.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::LocalClusterError;
use super::account::ServerAccount;

/// The longest socket directory whose `/.s.PGSQL.<port>` still fits in `sockaddr_un.sun_path`.
const MAX_SOCKET_DIR_BYTES: usize = 107 - "/.s.PGSQL.65535".len();

/// The socket directory's name inside the data directory.
const IN_DATA_DIR: &str = "socket";

/// The socket directory to use for a cluster in `data_dir`.
pub(super) fn choose(data_dir: &Path) -> PathBuf {
    let inside = data_dir.join(IN_DATA_DIR);
    let fits = inside.as_os_str().len() <= MAX_SOCKET_DIR_BYTES;
    if fits && is_plain(&inside) {
        inside
    } else {
        PathBuf::from(format!(
            "/tmp/pulse-pg-{:016x}",
            fnv1a(data_dir.as_os_str().as_encoded_bytes())
        ))
    }
}

/// Creates `dir` (mode 0700, owned by the server's account), or checks an existing one is ours.
pub(super) fn prepare(dir: &Path, account: &ServerAccount) -> Result<(), LocalClusterError> {
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let meta = std::fs::symlink_metadata(dir)
                .map_err(LocalClusterError::io("inspect the socket directory", dir))?;
            let ours = meta.uid() == account.uid() || meta.uid() == account.process_uid();
            if !meta.is_dir() || !ours {
                return Err(LocalClusterError::ForeignSocketDir {
                    path: dir.to_path_buf(),
                });
            }
        }
        Err(error) => {
            return Err(LocalClusterError::io("create the socket directory", dir)(
                error,
            ));
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(LocalClusterError::io("restrict the socket directory", dir))?;
    account.take_ownership(dir)
}

/// Whether `path` has only characters that need no quoting in a server option.
fn is_plain(path: &Path) -> bool {
    path.to_str().is_some_and(|text| {
        text.bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"/_.-".contains(&byte))
    })
}

/// The 64-bit FNV-1a hash: stable across builds, unlike the standard library's hasher.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
