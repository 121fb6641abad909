//! API keys: random `pulse_…` keys, shown once, stored only as their SHA-256 hex hash.

use pulse_domain::Secret;
use sha2::{Digest, Sha256};

/// The prefix of every generated key, so a leaked key is recognisable (and scannable).
pub const API_KEY_PREFIX: &str = "pulse_";

/// Random bytes in a generated key (256 bits).
const KEY_RANDOM_BYTES: usize = 32;

/// A fresh API key: the plaintext to show once, and the hash to store.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    /// The key itself (`pulse_` and 64 hex digits); never stored.
    pub plaintext: Secret,
    /// Its SHA-256 hex hash, for `ApiKeyRepository::create_key`.
    pub hash: String,
}

/// The operating system's random source failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read random bytes for an API key: {0}")]
pub struct KeyGenerationError(String);

/// Generates a new API key from the operating system's random source.
pub fn generate_api_key() -> Result<GeneratedKey, KeyGenerationError> {
    let mut random = [0_u8; KEY_RANDOM_BYTES];
    getrandom::fill(&mut random).map_err(|error| KeyGenerationError(error.to_string()))?;
    let plaintext = Secret::new(format!("{API_KEY_PREFIX}{}", hex::encode(random)));
    let hash = hash_api_key(plaintext.expose());
    Ok(GeneratedKey { plaintext, hash })
}

/// The stored form of a key: lowercase hex SHA-256 of its text.
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_prefix_and_hash_to_their_stored_form() {
        let key = generate_api_key().expect("random source");
        assert!(key.plaintext.expose().starts_with(API_KEY_PREFIX));
        assert_eq!(key.plaintext.expose().len(), API_KEY_PREFIX.len() + 64);
        assert_eq!(key.hash, hash_api_key(key.plaintext.expose()));
        assert_eq!(key.hash.len(), 64);
    }

    #[test]
    fn two_generated_keys_differ() {
        let first = generate_api_key().expect("random source");
        let second = generate_api_key().expect("random source");
        assert_ne!(first.plaintext, second.plaintext);
        assert_ne!(first.hash, second.hash);
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash_api_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn generated_key_debug_output_is_redacted() {
        let key = generate_api_key().expect("random source");
        let shown = format!("{key:?}");
        assert!(!shown.contains(key.plaintext.expose()));
    }
}
