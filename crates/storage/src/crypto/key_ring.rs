//! `KeyRing`: the current key (seals every new secret) and older keys (still open old secrets).

use std::sync::Arc;

use aes_gcm::aead::{Aead, AeadCore, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use pulse_domain::Secret;

use crate::crypto::{CryptoError, EncryptionKey, NONCE_LEN};

/// The variable holding the current key (base64 of 32 bytes).
pub const ENCRYPTION_KEY_VAR: &str = "PULSE_ENCRYPTION_KEY";
/// The variable holding older keys, comma-separated, still accepted for opening.
pub const PREVIOUS_ENCRYPTION_KEYS_VAR: &str = "PULSE_PREVIOUS_ENCRYPTION_KEYS";

/// A sealed secret as stored: ciphertext (with the GCM tag), its nonce, and the sealing key's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    /// AES-256-GCM ciphertext followed by the 16-byte tag.
    pub ciphertext: Vec<u8>,
    /// The 12-byte nonce, fresh for every seal.
    pub nonce: Vec<u8>,
    /// The id of the key that sealed it.
    pub key_id: String,
}

/// The keys this process knows: the current one seals, any of them opens. Cheap to clone.
#[derive(Debug, Clone)]
pub struct KeyRing {
    current: Arc<EncryptionKey>,
    previous: Arc<[EncryptionKey]>,
}

impl KeyRing {
    /// A ring with one key, used for sealing and opening.
    pub fn new(current: EncryptionKey) -> Self {
        Self::with_previous(current, Vec::new())
    }

    /// A ring that seals with `current` and also opens secrets sealed with `previous` keys.
    pub fn with_previous(current: EncryptionKey, previous: Vec<EncryptionKey>) -> Self {
        Self {
            current: Arc::new(current),
            previous: previous.into(),
        }
    }

    /// Loads the ring from `PULSE_ENCRYPTION_KEY` and, when set, `PULSE_PREVIOUS_ENCRYPTION_KEYS`.
    pub fn from_env() -> Result<Self, CryptoError> {
        let current = std::env::var(ENCRYPTION_KEY_VAR)
            .ok()
            .filter(|value| !value.trim().is_empty())
            .ok_or(CryptoError::MissingKey(ENCRYPTION_KEY_VAR))?;
        let previous = std::env::var(PREVIOUS_ENCRYPTION_KEYS_VAR).unwrap_or_default();
        Self::from_base64(&current, &previous)
    }

    /// Loads the ring from the current key and a comma-separated list of older keys (base64).
    pub fn from_base64(current: &str, previous: &str) -> Result<Self, CryptoError> {
        let current = EncryptionKey::from_base64(current)?;
        let previous = previous
            .split(',')
            .filter(|key| !key.trim().is_empty())
            .map(EncryptionKey::from_base64)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::with_previous(current, previous))
    }

    /// The id of the key that seals new secrets.
    pub fn current_key_id(&self) -> &str {
        self.current().id()
    }

    /// Whether `sealed` was sealed with the current key (else it is due for re-sealing).
    pub fn is_current(&self, sealed: &SealedSecret) -> bool {
        sealed.key_id == self.current_key_id()
    }

    /// Encrypts `secret` with the current key and a fresh nonce, bound to `context` (associated
    /// data naming the column and owner, so a ciphertext cannot be moved to another row).
    pub fn seal(&self, secret: &Secret, context: &str) -> Result<SealedSecret, CryptoError> {
        let key = self.current();
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: secret.expose().as_bytes(),
            aad: context.as_bytes(),
        };
        let ciphertext = key
            .cipher()
            .encrypt(&nonce, payload)
            .map_err(|_| CryptoError::EncryptFailed)?;
        Ok(SealedSecret {
            ciphertext,
            nonce: nonce.to_vec(),
            key_id: key.id().to_owned(),
        })
    }

    /// Decrypts a sealed secret with the key its id names; a wrong key or altered data is an error.
    pub fn open(&self, sealed: &SealedSecret, context: &str) -> Result<Secret, CryptoError> {
        let key = std::iter::once(self.current.as_ref())
            .chain(self.previous.iter())
            .find(|key| key.id() == sealed.key_id)
            .ok_or_else(|| CryptoError::UnknownKey {
                key_id: sealed.key_id.clone(),
            })?;
        if sealed.nonce.len() != NONCE_LEN {
            return Err(CryptoError::NonceLength(sealed.nonce.len()));
        }
        let payload = Payload {
            msg: &sealed.ciphertext,
            aad: context.as_bytes(),
        };
        let plaintext = key
            .cipher()
            .decrypt(Nonce::from_slice(&sealed.nonce), payload)
            .map_err(|_| CryptoError::DecryptFailed {
                key_id: sealed.key_id.clone(),
            })?;
        String::from_utf8(plaintext)
            .map(Secret::new)
            .map_err(|_| CryptoError::NotUtf8)
    }

    fn current(&self) -> &EncryptionKey {
        &self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::generate_key;

    const CONTEXT: &str = "google_connections.refresh_token:user-1";

    fn ring() -> KeyRing {
        KeyRing::from_base64(&generate_key(), "").expect("a generated key loads")
    }

    #[test]
    fn a_sealed_secret_opens_to_the_same_text() {
        let ring = ring();
        let sealed = ring
            .seal(&Secret::new("1//refresh-token"), CONTEXT)
            .unwrap();
        assert_eq!(
            ring.open(&sealed, CONTEXT).unwrap().expose(),
            "1//refresh-token"
        );
        assert_eq!(sealed.key_id, ring.current_key_id());
        assert!(ring.is_current(&sealed));
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce_and_hides_the_plaintext() {
        let ring = ring();
        let secret = Secret::new("same secret");
        let first = ring.seal(&secret, CONTEXT).unwrap();
        let second = ring.seal(&secret, CONTEXT).unwrap();
        assert_eq!(first.nonce.len(), NONCE_LEN);
        assert_ne!(first.nonce, second.nonce);
        assert_ne!(first.ciphertext, second.ciphertext);
        let needle = b"same secret";
        assert!(!first.ciphertext.windows(needle.len()).any(|w| w == needle));
    }

    #[test]
    fn another_key_is_a_typed_error_not_garbage() {
        let sealed = ring().seal(&Secret::new("token"), CONTEXT).unwrap();
        let other = ring();
        assert_eq!(
            other.open(&sealed, CONTEXT),
            Err(CryptoError::UnknownKey {
                key_id: sealed.key_id.clone()
            })
        );
    }

    #[test]
    fn a_wrong_key_under_the_same_id_fails_to_decrypt() {
        let ring = ring();
        let mut sealed = ring.seal(&Secret::new("token"), CONTEXT).unwrap();
        let impostor = KeyRing::from_base64(&generate_key(), "").unwrap();
        sealed.key_id = impostor.current_key_id().to_owned();
        assert_eq!(
            impostor.open(&sealed, CONTEXT),
            Err(CryptoError::DecryptFailed {
                key_id: sealed.key_id.clone()
            })
        );
    }

    #[test]
    fn altered_ciphertext_or_another_context_is_refused() {
        let ring = ring();
        let sealed = ring.seal(&Secret::new("token"), CONTEXT).unwrap();
        let mut altered = sealed.clone();
        altered.ciphertext[0] ^= 1;
        assert!(matches!(
            ring.open(&altered, CONTEXT),
            Err(CryptoError::DecryptFailed { .. })
        ));
        assert!(matches!(
            ring.open(&sealed, "google_connections.refresh_token:user-2"),
            Err(CryptoError::DecryptFailed { .. })
        ));
        let mut short_nonce = sealed;
        short_nonce.nonce.truncate(4);
        assert_eq!(
            ring.open(&short_nonce, CONTEXT),
            Err(CryptoError::NonceLength(4))
        );
    }

    #[test]
    fn a_rotated_ring_opens_old_secrets_and_seals_with_the_new_key() {
        let old_key = generate_key();
        let old_ring = KeyRing::from_base64(&old_key, "").unwrap();
        let sealed_before = old_ring.seal(&Secret::new("old"), CONTEXT).unwrap();
        let new_key = generate_key();
        let rotated = KeyRing::from_base64(&new_key, &format!(" {old_key} ,")).unwrap();
        assert_eq!(
            rotated.open(&sealed_before, CONTEXT).unwrap().expose(),
            "old"
        );
        assert!(!rotated.is_current(&sealed_before));
        let sealed_after = rotated.seal(&Secret::new("new"), CONTEXT).unwrap();
        assert_ne!(sealed_after.key_id, sealed_before.key_id);
        assert!(rotated.is_current(&sealed_after));
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert_eq!(
            KeyRing::from_base64("not base64!", "").err(),
            Some(CryptoError::KeyNotBase64)
        );
        assert_eq!(
            KeyRing::from_base64("c2hvcnQ=", "").err(),
            Some(CryptoError::KeyLength(5))
        );
        assert_eq!(
            KeyRing::from_base64(&generate_key(), "c2hvcnQ=").err(),
            Some(CryptoError::KeyLength(5))
        );
    }

    #[test]
    fn key_ids_are_short_stable_hex_and_debug_hides_the_key() {
        let encoded = generate_key();
        let key = EncryptionKey::from_base64(&encoded).unwrap();
        let again = EncryptionKey::from_base64(&encoded).unwrap();
        assert_eq!(key.id(), again.id());
        assert_eq!(key.id().len(), 8);
        assert!(key.id().chars().all(|c| c.is_ascii_hexdigit()));
        let shown = format!("{key:?} {:?}", KeyRing::new(key.clone()));
        assert!(!shown.contains(&encoded));
        assert!(shown.contains(key.id()));
    }
}
