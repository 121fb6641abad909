//! Finding the PostgreSQL server programs (`initdb`, `pg_ctl`, `postgres`) on this machine: in the
//! directories of `PULSE_PG_BIN_DIRS` when it is set, else on PATH, through `pg_config --bindir`
//! and in `/usr/lib/postgresql/*/bin`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::LocalClusterError;
use super::install_hint::InstallHint;
use super::programs::{is_executable, path_dirs};

/// Colon-separated directories searched for the server programs instead of the usual places.
pub const PG_BIN_DIRS_VAR: &str = "PULSE_PG_BIN_DIRS";

/// The programs a directory must hold to run a cluster.
const SERVER_PROGRAMS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// Where Debian and Ubuntu install each PostgreSQL version (`<root>/<version>/bin`).
const VERSIONED_ROOT: &str = "/usr/lib/postgresql";

/// The directory holding the PostgreSQL server programs this cluster runs.
#[derive(Debug, Clone)]
pub(super) struct ServerBinaries {
    bin_dir: PathBuf,
}

impl ServerBinaries {
    /// Looks in `PULSE_PG_BIN_DIRS` when set; else on PATH, then in `pg_config --bindir`, then in
    /// the newest `/usr/lib/postgresql/*/bin`.
    pub(super) fn locate() -> Result<Self, LocalClusterError> {
        let (candidates, searched) = match std::env::var_os(PG_BIN_DIRS_VAR) {
            Some(dirs) => (
                std::env::split_paths(&dirs).collect::<Vec<_>>(),
                format!("in {PG_BIN_DIRS_VAR} ({})", dirs.to_string_lossy()),
            ),
            None => (
                path_dirs()
                    .into_iter()
                    .chain(pg_config_bindir())
                    .chain(versioned_bin_dirs(Path::new(VERSIONED_ROOT)))
                    .collect(),
                "on PATH, through `pg_config --bindir`, or in /usr/lib/postgresql/*/bin".to_owned(),
            ),
        };
        Self::first_complete(candidates).ok_or_else(|| LocalClusterError::ServerProgramsNotFound {
            searched,
            install: InstallHint::for_this_machine(),
        })
    }

    /// The first of `dirs` that holds every server program.
    pub(super) fn first_complete(dirs: impl IntoIterator<Item = PathBuf>) -> Option<Self> {
        dirs.into_iter()
            .find(|dir| holds_server_programs(dir))
            .map(|bin_dir| Self { bin_dir })
    }

    /// The directory the programs were found in.
    pub(super) fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The `initdb` program.
    pub(super) fn initdb(&self) -> PathBuf {
        self.bin_dir.join("initdb")
    }

    /// The `pg_ctl` program.
    pub(super) fn pg_ctl(&self) -> PathBuf {
        self.bin_dir.join("pg_ctl")
    }
}

/// Whether `dir` holds an executable of every server program.
fn holds_server_programs(dir: &Path) -> bool {
    SERVER_PROGRAMS
        .iter()
        .all(|program| is_executable(&dir.join(program)))
}

/// What `pg_config --bindir` prints, when pg_config is installed and answers.
fn pg_config_bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    if !output.status.success() {
        return None;
    }
    let dir = String::from_utf8(output.stdout).ok()?;
    let dir = dir.trim();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

/// `<root>/<version>/bin` for every version directory under `root`, newest version first.
pub(super) fn versioned_bin_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = parse_version(entry.file_name().to_str()?)?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|(a, _), (b, _)| b.cmp(a));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

/// `"15"` → `[15]`, `"9.6"` → `[9, 6]`; anything else is not a version.
fn parse_version(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}
