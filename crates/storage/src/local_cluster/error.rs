//! Why a local PostgreSQL cluster could not be started or stopped.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

use super::install_hint::InstallHint;

/// A failure to find, initialise, start or stop the local PostgreSQL cluster.
#[derive(Debug, thiserror::Error)]
pub enum LocalClusterError {
    /// No directory holds all of `initdb`, `pg_ctl` and `postgres`.
    #[error(
        "PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found {searched}; \
         {install}, or set DATABASE_URL to use an existing PostgreSQL instead"
    )]
    ServerProgramsNotFound {
        /// Where they were looked for, in words.
        searched: String,
        /// How to install them on this machine.
        install: InstallHint,
    },
    /// Running as root, and there is no unprivileged `postgres` user to run the server as.
    #[error(
        "running as root, and PostgreSQL refuses to run as root, but there is no `postgres` \
         system user to run it as; create one (installing the `postgresql` package does), run \
         as a normal user, or set DATABASE_URL to use an existing PostgreSQL instead"
    )]
    NoServerUser,
    /// A program the local cluster relies on is not installed.
    #[error("`{program}` is needed to run a local PostgreSQL but was not found; install {package}")]
    MissingProgram {
        /// The program that was looked for.
        program: &'static str,
        /// The package that provides it.
        package: &'static str,
    },
    /// The data directory holds a cluster, but the server's user can no longer write to it.
    #[error(
        "the `postgres` user cannot write to {path} (a parent directory is closed to it), and it \
         holds a local cluster made when it could; open the parent directories to that user \
         again, or move the data directory"
    )]
    DataDirUnreachable {
        /// The data directory.
        path: PathBuf,
    },
    /// No directory under the relocation base could be made this data directory's own.
    #[error(
        "could not find a free directory under {base} for the local PostgreSQL of {data_dir}; \
         remove the pulse-pg-* directories there that are no longer used"
    )]
    NoRelocation {
        /// Where relocated clusters live.
        base: PathBuf,
        /// The data directory.
        data_dir: PathBuf,
    },
    /// The data directory's path holds a character that pg_ctl's shell command cannot carry.
    #[error(
        "the data directory path {path:?} contains a character pg_ctl cannot pass on \
         (one of \" $ ` \\ or a line break); choose another directory"
    )]
    UnsupportedPath {
        /// The data directory.
        path: PathBuf,
    },
    /// Another process kept starting or stopping this data directory's cluster for too long.
    #[error(
        "another process has been starting or stopping the local PostgreSQL of {path} for \
         minutes; check that process, or use another directory"
    )]
    Busy {
        /// The data directory.
        path: PathBuf,
    },
    /// The socket directory already exists and belongs to another user.
    #[error("the socket directory {path} exists but belongs to another user; remove it")]
    ForeignSocketDir {
        /// The socket directory.
        path: PathBuf,
    },
    /// A file-system operation failed.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A program could not be started at all.
    #[error("could not run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A program ran and reported failure.
    #[error("{command} failed ({status}): {output}")]
    CommandFailed {
        /// What was run, in words.
        command: String,
        /// How it ended.
        status: ExitStatus,
        /// The end of what it printed.
        output: String,
    },
    /// The server did not come up; the end of its log says why.
    #[error("PostgreSQL did not start ({output}); end of its log {log}:\n{log_tail}")]
    StartFailed {
        /// What pg_ctl printed.
        output: String,
        /// The server's log file.
        log: PathBuf,
        /// The last lines of that log.
        log_tail: String,
    },
}

impl LocalClusterError {
    /// An [`LocalClusterError::Io`] for `action` on `path`.
    pub(super) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}
