//! Turning a failed TLS handshake into words a user can act on: not trusted, name mismatch,
//! expired, or TLS not offered by the server.

use std::error::Error as StdError;

use rustls::{CertificateError, Error as TlsError};

/// Why the handshake of `error` failed, when it was a TLS failure; `None` otherwise.
pub(super) fn tls_reason(error: &tokio_postgres::Error, host: &str) -> Option<String> {
    if let Some(rustls_error) = find_rustls_error(error) {
        return Some(describe(rustls_error, host));
    }
    let text = error.to_string();
    let mentions_tls = text.contains("TLS") || text.contains("tls");
    mentions_tls.then(|| chain_text(error))
}

/// The first `rustls::Error` in `error`'s chain of causes (through `io::Error` wrappers too).
fn find_rustls_error<'e>(error: &'e (dyn StdError + 'static)) -> Option<&'e TlsError> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(found) = cause.downcast_ref::<TlsError>() {
            return Some(found);
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && let Some(found) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<TlsError>())
        {
            return Some(found);
        }
        current = cause.source();
    }
    None
}

/// A sentence for a rustls failure.
fn describe(error: &TlsError, host: &str) -> String {
    match error {
        TlsError::InvalidCertificate(certificate) => match certificate {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                "the server's certificate is not trusted: it is not signed by a root in sslrootcert"
                    .to_owned()
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "the server's certificate is not valid for the host name {host:?} (name mismatch)"
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "the server's certificate has expired".to_owned()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet".to_owned()
            }
            other => format!("the server's certificate was refused: {other:?}"),
        },
        other => format!("the TLS handshake failed: {other}"),
    }
}

/// `error` and its causes, joined with ": ".
fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(cause) = current {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        current = cause.source();
    }
    text
}

/// `error` and its causes in one line, for a connection failure that was not about TLS.
pub(super) fn detail(error: &tokio_postgres::Error) -> String {
    chain_text(error)
}
