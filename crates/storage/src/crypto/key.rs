//! `EncryptionKey`: one AES-256-GCM key and its short id.

use std::fmt;

use aes_gcm::aead::{KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::crypto::CryptoError;

/// Length of an AES-256 key, in bytes.
pub const KEY_LEN: usize = 32;
/// Length of an AES-GCM nonce, in bytes.
pub const NONCE_LEN: usize = 12;
/// Hex characters of the key's SHA-256 that form its id.
const KEY_ID_HEX_CHARS: usize = 8;

/// An AES-256-GCM key; `Debug` shows only its id.
#[derive(Clone)]
pub struct EncryptionKey {
    id: String,
    cipher: Aes256Gcm,
}

impl EncryptionKey {
    /// Loads a key from its base64 text (standard alphabet, padded), as `PULSE_ENCRYPTION_KEY` holds it.
    pub fn from_base64(encoded: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| CryptoError::KeyNotBase64)?;
        Self::from_bytes(&bytes)
    }

    /// Loads a key from its 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != KEY_LEN {
            return Err(CryptoError::KeyLength(bytes.len()));
        }
        let digest = Sha256::digest(bytes);
        let mut id = hex::encode(digest);
        id.truncate(KEY_ID_HEX_CHARS);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(bytes));
        Ok(Self { id, cipher })
    }

    /// The key's id: the first 8 hex characters of the SHA-256 of the key.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn cipher(&self) -> &Aes256Gcm {
        &self.cipher
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A new random key, base64-encoded, suitable for `PULSE_ENCRYPTION_KEY`.
pub fn generate_key() -> String {
    let key = Aes256Gcm::generate_key(&mut OsRng);
    STANDARD.encode(key.as_slice())
}
