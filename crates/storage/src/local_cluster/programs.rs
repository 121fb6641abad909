//! Finding and running the external programs the local cluster drives.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::LocalClusterError;

/// How much of a failing program's output an error carries.
const OUTPUT_TAIL_BYTES: usize = 2_000;

/// Environment variables that would steer PostgreSQL's programs away from the arguments given.
const STEERING_VARIABLES: [&str; 6] = [
    "PGDATA",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGOPTIONS",
];

/// The directories listed in PATH, in order.
pub(super) fn path_dirs() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default()
}

/// The first executable `name` in PATH, then in `fallback_dirs`.
pub(super) fn find_program(name: &str, fallback_dirs: &[&str]) -> Option<PathBuf> {
    path_dirs()
        .into_iter()
        .chain(fallback_dirs.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is (or links to) a regular file with an execute bit.
pub(super) fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// A command for `program` with `args`, without the PG* variables that would override them.
pub(super) fn command(program: impl AsRef<OsStr>, args: &[impl AsRef<OsStr>]) -> Command {
    let mut command = Command::new(program);
    command.args(args);
    for variable in STEERING_VARIABLES {
        command.env_remove(variable);
    }
    command
}

/// Runs `command` to completion; a failure carries the end of its output. `what` names it in errors.
pub(super) fn run(mut command: Command, what: &str) -> Result<Output, LocalClusterError> {
    let output =
        command
            .stdin(Stdio::null())
            .output()
            .map_err(|source| LocalClusterError::Spawn {
                program: what.to_owned(),
                source,
            })?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(LocalClusterError::CommandFailed {
            command: what.to_owned(),
            status: output.status,
            output: printed_tail(&output),
        })
    }
}

/// The end of what a program printed (stderr, then stdout), trimmed.
pub(super) fn printed_tail(output: &Output) -> String {
    let mut printed = String::from_utf8_lossy(&output.stderr).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stdout));
    tail(printed.trim(), OUTPUT_TAIL_BYTES).to_owned()
}

/// The last `max_bytes` (or fewer, to stay on a character boundary) of `text`.
pub(super) fn tail(text: &str, max_bytes: usize) -> &str {
    let mut start = text.len().saturating_sub(max_bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}
