//! Secrets at rest: AES-256-GCM with a fresh nonce per write and the sealing key's id stored
//! beside the ciphertext, so keys can be rotated ([`KeyRing`]).

mod error;
mod key;
mod key_ring;

pub use error::CryptoError;
pub use key::{EncryptionKey, KEY_LEN, NONCE_LEN, generate_key};
pub use key_ring::{ENCRYPTION_KEY_VAR, KeyRing, PREVIOUS_ENCRYPTION_KEYS_VAR, SealedSecret};
