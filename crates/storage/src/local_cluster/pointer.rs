//! The two small files that tie a data directory to a cluster relocated elsewhere: the pointer in
//! the data directory (`cluster.location`: which data directory wrote it, and where its cluster
//! lives) and the owner record in the relocated directory (`data-dir`: the data directory it
//! belongs to). A pointer copied into another directory, or a relocated directory that belongs to
//! another data directory (a hash collision), is recognised by comparing the recorded paths.

use std::path::{Path, PathBuf};

use super::LocalClusterError;

/// The pointer's file name, in the data directory.
pub(super) const POINTER_FILE: &str = "cluster.location";

/// The owner record's file name, in the relocated directory.
pub(super) const OWNER_FILE: &str = "data-dir";

/// What a data directory's pointer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pointer {
    /// The data directory that wrote it.
    pub(super) data_dir: PathBuf,
    /// Where that data directory's cluster lives.
    pub(super) cluster: PathBuf,
}

impl Pointer {
    /// The pointer in `data_dir`, if there is a readable one.
    pub(super) fn read(data_dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(data_dir.join(POINTER_FILE)).ok()?;
        Self::parse(&text)
    }

    /// Reads a pointer's text: `data_dir=` and `cluster=` lines; `#` lines are comments.
    pub(super) fn parse(text: &str) -> Option<Self> {
        let value = |key: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        Some(Self {
            data_dir: value("data_dir")?,
            cluster: value("cluster")?,
        })
    }

    /// The pointer's text.
    pub(super) fn render(&self) -> String {
        format!(
            "# The local PostgreSQL of this directory lives in the directory below, because its \
             server's user cannot reach this one.\n# Remove both directories to remove it.\n\
             data_dir={}\ncluster={}\n",
            self.data_dir.display(),
            self.cluster.display()
        )
    }

    /// Writes the pointer into its data directory (replacing it whole).
    pub(super) fn write(&self) -> Result<(), LocalClusterError> {
        let path = self.data_dir.join(POINTER_FILE);
        let partial = self.data_dir.join(format!("{POINTER_FILE}.partial"));
        std::fs::write(&partial, self.render())
            .map_err(LocalClusterError::io("write", &partial))?;
        std::fs::rename(&partial, &path).map_err(LocalClusterError::io("write", &path))
    }
}

/// The data directory a relocated directory belongs to, if it records one.
pub(super) fn read_owner(cluster: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(cluster.join(OWNER_FILE)).ok()?;
    let path = text.lines().next()?.trim_end();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// Records in `cluster` that it belongs to `data_dir`.
pub(super) fn write_owner(cluster: &Path, data_dir: &Path) -> Result<(), LocalClusterError> {
    let path = cluster.join(OWNER_FILE);
    std::fs::write(&path, format!("{}\n", data_dir.display()))
        .map_err(LocalClusterError::io("write", &path))
}
