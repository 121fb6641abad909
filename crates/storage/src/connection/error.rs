//! `ConnectError`: why a `DATABASE_URL` could not be used or its server not reached.

use std::path::PathBuf;

use super::ssl_mode::SslMode;

/// A failure to understand a database URL or to open a connection with it. Never carries the
/// password: messages name the host, the mode and the reason only.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL is not a valid PostgreSQL connection string.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// `sslmode` holds a value libpq does not know.
    #[error(
        "invalid database URL: sslmode={0:?} is not one of disable, allow, prefer, require, \
         verify-ca, verify-full"
    )]
    UnknownSslMode(String),
    /// `sslrootcert=system` with a mode weaker than verify-full (libpq 16 refuses it too).
    #[error(
        "invalid database URL: sslmode={0} may not be used with sslrootcert=system; use \
         sslmode=verify-full (or leave sslmode out)"
    )]
    WeakModeWithSystemRoots(SslMode),
    /// A verifying mode with no root certificate to verify against.
    #[error(
        "sslmode={0} needs trusted root certificates: set sslrootcert to a PEM file, or \
         sslrootcert=system for the operating system's roots (no ~/.postgresql/root.crt exists)"
    )]
    NoRootCertificate(SslMode),
    /// The `sslrootcert` file could not be read or holds no certificate.
    #[error("sslrootcert {path}: {reason}")]
    RootCertificates {
        /// The file named by `sslrootcert`.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// The operating system's roots could not be loaded.
    #[error("sslrootcert=system: the operating system's trusted roots could not be loaded: {0}")]
    SystemRoots(String),
    /// The TLS handshake failed: the server's certificate was refused, or TLS was not offered.
    #[error("TLS to {host} (sslmode={mode}) failed: {reason}")]
    Tls {
        /// The server's host, as written in the URL.
        host: String,
        /// The mode in force.
        mode: SslMode,
        /// Why, in words (not trusted, name mismatch, expired, not offered).
        reason: String,
    },
    /// The server could not be reached, refused the login, or closed the connection.
    #[error("cannot connect to {host} (sslmode={mode}): {detail}")]
    Server {
        /// The server's host, as written in the URL.
        host: String,
        /// The mode in force.
        mode: SslMode,
        /// What the server or the network said.
        detail: String,
    },
}

impl ConnectError {
    /// Whether a later attempt may succeed (the server was down or unreachable), as opposed
    /// to a URL or certificate that will be refused again.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Server { .. })
    }
}
