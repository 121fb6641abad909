//! Page tokens of the fake People API: they carry the account, a fingerprint of the other
//! request parameters (which must not change between pages), the round's change version and
//! where the next page starts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::fake::account::Cursor;

/// The decoded contents of a `pageToken`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageToken {
    /// The account the listing belongs to.
    pub account: String,
    /// The fingerprint of the listing's other parameters.
    pub fingerprint: u64,
    /// The account's change version when the round began.
    pub round: u64,
    /// Where the next page starts.
    pub cursor: Cursor,
}

const SEPARATOR: char = '\u{1f}';

impl PageToken {
    /// The opaque string form.
    pub fn encode(&self) -> String {
        let (kind, a, b) = match self.cursor {
            Cursor::Slot(slot) => ('s', 0, slot),
            Cursor::Change(version, slot) => ('c', version, slot),
        };
        let raw = [
            self.account.clone(),
            self.fingerprint.to_string(),
            self.round.to_string(),
            kind.to_string(),
            a.to_string(),
            b.to_string(),
        ]
        .join(&SEPARATOR.to_string());
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Reads a token this fake issued; `None` for anything else.
    pub fn decode(token: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
        let parts: Vec<&str> = raw.split(SEPARATOR).collect();
        let [account, fingerprint, round, kind, a, b] = parts.as_slice() else {
            return None;
        };
        let a: u64 = a.parse().ok()?;
        let b: u32 = b.parse().ok()?;
        let cursor = match *kind {
            "s" => Cursor::Slot(b),
            "c" => Cursor::Change(a, b),
            _ => return None,
        };
        Some(Self {
            account: (*account).to_owned(),
            fingerprint: fingerprint.parse().ok()?,
            round: round.parse().ok()?,
            cursor,
        })
    }
}

/// A fingerprint of the parameters that must stay the same on every page of a listing.
pub(crate) fn fingerprint(parameters: &[(&str, Option<&str>)]) -> u64 {
    let mut hasher = Sha256::new();
    for (name, value) in parameters {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(value.unwrap_or("\u{0}absent").as_bytes());
        hasher.update([1]);
    }
    let digest = hasher.finalize();
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for cursor in [Cursor::Slot(17), Cursor::Change(9, 4)] {
            let token = PageToken {
                account: "alice@example.com".to_owned(),
                fingerprint: 42,
                round: 7,
                cursor,
            };
            assert_eq!(PageToken::decode(&token.encode()), Some(token));
        }
        assert_eq!(PageToken::decode("garbage!"), None);
    }

    #[test]
    fn the_fingerprint_sees_every_parameter() {
        let base = fingerprint(&[("pageSize", Some("1000")), ("syncToken", None)]);
        assert_eq!(
            base,
            fingerprint(&[("pageSize", Some("1000")), ("syncToken", None)])
        );
        assert_ne!(
            base,
            fingerprint(&[("pageSize", Some("999")), ("syncToken", None)])
        );
        assert_ne!(
            base,
            fingerprint(&[("pageSize", Some("1000")), ("syncToken", Some(""))])
        );
    }
}
