//! libpq's `sslmode` and `sslrootcert` parameters, and what each combination demands of the
//! server's certificate, following libpq 16 exactly.

use std::fmt;
use std::path::PathBuf;

use super::ConnectError;

/// libpq's `sslmode`: whether TLS is used and how far the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// Plain first; TLS (unverified) only when the server refuses the plain connection.
    Allow,
    /// TLS (unverified) when the server offers it; plain when it does not or refuses TLS.
    Prefer,
    /// TLS always; the chain is verified only when a root certificate file is given or present.
    Require,
    /// TLS always, and the chain must lead to a trusted root.
    VerifyCa,
    /// TLS always, a trusted chain, and a certificate valid for the host name.
    VerifyFull,
}

impl SslMode {
    /// Parses libpq's spelling of a mode.
    pub fn parse(text: &str) -> Result<Self, ConnectError> {
        Ok(match text {
            "disable" => Self::Disable,
            "allow" => Self::Allow,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => return Err(ConnectError::UnknownSslMode(other.to_owned())),
        })
    }

    /// libpq's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Allow => "allow",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// libpq's `sslrootcert`: where trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    /// A PEM file of one or more certificates.
    File(PathBuf),
    /// The operating system's trusted roots (`sslrootcert=system`).
    System,
}

/// How the server's certificate is checked on a TLS connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Encrypted, but any certificate is accepted (libpq's `require` without roots, `prefer`, `allow`).
    None,
    /// The chain must lead to one of these roots; the host name is not checked.
    Chain(RootCerts),
    /// A trusted chain and a certificate valid for the host name.
    ChainAndHost(RootCerts),
}

/// Whether TLS is attempted, and in which order with plain connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Negotiation {
    /// Plain only.
    Plain,
    /// Plain, then TLS if the server refused the plain attempt.
    PlainThenTls,
    /// TLS if offered, else plain; plain again if the server refused the TLS attempt.
    TlsThenPlain,
    /// TLS only.
    Tls,
}

/// What one `DATABASE_URL` asks of TLS: the mode as written and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPolicy {
    /// The mode (after libpq's defaults are applied).
    pub mode: SslMode,
    /// Plain, TLS, or both in which order.
    pub negotiation: Negotiation,
    /// How a TLS connection checks the certificate.
    pub verification: Verification,
}

impl TlsPolicy {
    /// The policy for `sslmode` and `sslrootcert` as written (either may be absent), with
    /// `default_root_file` standing for libpq's `~/.postgresql/root.crt` when it exists.
    pub fn resolve(
        mode: Option<SslMode>,
        root: Option<RootCerts>,
        default_root_file: Option<PathBuf>,
    ) -> Result<Self, ConnectError> {
        // libpq 16: `sslrootcert=system` makes verify-full the default, and refuses weaker modes.
        let mode = match (&root, mode) {
            (Some(RootCerts::System), None) => SslMode::VerifyFull,
            (Some(RootCerts::System), Some(mode)) if mode != SslMode::VerifyFull => {
                return Err(ConnectError::WeakModeWithSystemRoots(mode));
            }
            (_, mode) => mode.unwrap_or(SslMode::Prefer),
        };
        let negotiation = match mode {
            SslMode::Disable => Negotiation::Plain,
            SslMode::Allow => Negotiation::PlainThenTls,
            SslMode::Prefer => Negotiation::TlsThenPlain,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Negotiation::Tls,
        };
        let roots = root.or(default_root_file.map(RootCerts::File));
        let verification = match (mode, roots) {
            (SslMode::Disable | SslMode::Allow | SslMode::Prefer, _) | (SslMode::Require, None) => {
                Verification::None
            }
            // libpq: "require" with a root certificate file behaves as "verify-ca".
            (SslMode::Require | SslMode::VerifyCa, Some(roots)) => Verification::Chain(roots),
            (SslMode::VerifyFull, Some(roots)) => Verification::ChainAndHost(roots),
            (SslMode::VerifyCa | SslMode::VerifyFull, None) => {
                return Err(ConnectError::NoRootCertificate(mode));
            }
        };
        Ok(Self {
            mode,
            negotiation,
            verification,
        })
    }
}
