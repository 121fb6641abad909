//! Random one-time tokens handed to a browser (the consent-binding cookie, the confirmation
//! page's token), of which the server keeps only the SHA-256, so a database read reveals none.

use sha2::{Digest, Sha256};

/// A fresh token (256 random bits as hex) and the SHA-256 (hex) to keep.
pub(crate) fn new_token() -> (String, String) {
    let value = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let hash = hash_of(&value);
    (value, hash)
}

/// The SHA-256 (hex) kept for `value`.
pub(crate) fn hash_of(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}
