//! The `Pulse-Signature` scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256>`, keyed with the
//! endpoint's secret, of `"<t>.<raw body>"` (Stripe's scheme). [`sign`] makes the header;
//! [`verify`] is the reference check a receiver makes: the signature matches (compared in
//! constant time) and `t` is within the tolerance of the receiver's clock, so a captured request
//! cannot be replayed later. A receiver also drops an `id` it has already seen (at-least-once
//! delivery sends an event again after a lost answer).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Pulse-Signature";
/// The header that carries the event's id.
pub const EVENT_ID_HEADER: &str = "Pulse-Event-Id";
/// How old a signature's timestamp may be (and how far ahead) before [`verify`] refuses it.
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No `t=` or no `v1=` in the header, or a `t` that is not a number.
    #[error("the Pulse-Signature header is malformed")]
    Malformed,
    /// The timestamp is older (or further ahead) than the tolerance: a replay, or a bad clock.
    #[error("the signature's timestamp is outside the tolerance")]
    Expired,
    /// No `v1` signature matches the body and the secret: a forgery or a changed body.
    #[error("the signature does not match")]
    Mismatch,
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (longer ones are hashed): this never fails.
    let mut mac = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of every length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The lower-case hex HMAC-SHA256, keyed with `secret`, of `"<timestamp>.<body>"`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// The `Pulse-Signature` header value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", signature(secret, timestamp, body))
}

/// Checks a `Pulse-Signature` header against the raw body, the secret and the receiver's clock
/// (`now`, unix seconds): `Ok` when a `v1` signature matches and `|now - t| <= tolerance`.
///
/// ```
/// use pulse_webhooks::{sign, verify, VerifyError};
/// let body = br#"{"id":"..."}"#;
/// let header = sign("whsec_test", 1_700_000_000, body);
/// assert_eq!(verify(&header, body, "whsec_test", 1_700_000_010, 300), Ok(()));
/// assert_eq!(verify(&header, body, "whsec_other", 1_700_000_010, 300), Err(VerifyError::Mismatch));
/// assert_eq!(verify(&header, body, "whsec_test", 1_700_000_400, 300), Err(VerifyError::Expired));
/// ```
pub fn verify(
    header: &str,
    body: &[u8],
    secret: &str,
    now: i64,
    tolerance_seconds: i64,
) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                timestamp = Some(value.parse::<i64>().map_err(|_| VerifyError::Malformed)?)
            }
            Some(("v1", value)) => candidates.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::Malformed)?;
    if candidates.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if (now - timestamp).abs() > tolerance_seconds {
        return Err(VerifyError::Expired);
    }
    let expected = signature(secret, timestamp, body);
    let matches = candidates
        .iter()
        .any(|candidate| bool::from(candidate.as_bytes().ct_eq(expected.as_bytes())));
    if matches {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_timestamp_a_dot_and_the_body() {
        // printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_k
        assert_eq!(
            sign("whsec_k", 1_700_000_000, br#"{"a":1}"#),
            "t=1700000000,v1=a252a4340d8bbbdbac8643a2812cc7d628ad79bfba544bff054ac2fa10f795a2"
        );
    }

    #[test]
    fn a_changed_body_or_a_malformed_header_is_refused() {
        let header = sign("s", 10, b"body");
        assert_eq!(
            verify(&header, b"body!", "s", 10, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify("v1=abc", b"body", "s", 10, 300),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify("t=x,v1=abc", b"body", "s", 10, 300),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify("t=10", b"body", "s", 10, 300),
            Err(VerifyError::Malformed)
        );
    }
}
