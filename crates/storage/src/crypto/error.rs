//! `CryptoError`: why a key could not be loaded or a secret could not be sealed or opened.

/// A key or sealing failure; never carries key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The environment variable holding the key is not set.
    #[error("{0} is not set: it must hold a base64-encoded 32-byte key")]
    MissingKey(&'static str),
    /// The key is not valid base64.
    #[error("the encryption key is not valid base64")]
    KeyNotBase64,
    /// The key decodes to the wrong number of bytes.
    #[error("the encryption key must be 32 bytes, got {0}")]
    KeyLength(usize),
    /// The secret was sealed with a key this process does not have.
    #[error("the secret was sealed with key {key_id}, which is not configured")]
    UnknownKey {
        /// The id stored beside the ciphertext.
        key_id: String,
    },
    /// The ciphertext does not open with the key its id names (wrong key, or tampered data).
    #[error("the secret does not decrypt with key {key_id} (wrong key or altered data)")]
    DecryptFailed {
        /// The id stored beside the ciphertext.
        key_id: String,
    },
    /// The stored nonce has the wrong length.
    #[error("the stored nonce must be 12 bytes, got {0}")]
    NonceLength(usize),
    /// The decrypted bytes are not UTF-8 text.
    #[error("the decrypted secret is not UTF-8 text")]
    NotUtf8,
    /// The cipher refused to encrypt (only possible for absurdly long input).
    #[error("the secret could not be encrypted")]
    EncryptFailed,
}
