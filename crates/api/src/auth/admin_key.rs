//! The `PULSE_ADMIN_API_KEY` admin key, kept as its SHA-256 digest and compared in constant time.

use pulse_domain::Secret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The configured admin key's digest.
pub(crate) struct AdminKey {
    digest: [u8; 32],
}

impl AdminKey {
    /// Keeps the digest of `key`; the key itself is not kept.
    pub(crate) fn new(key: &Secret) -> Self {
        Self {
            digest: Sha256::digest(key.expose().as_bytes()).into(),
        }
    }

    /// Whether a presented key's SHA-256 digest equals the admin key's, in constant time.
    pub(crate) fn matches(&self, presented_digest: &[u8; 32]) -> bool {
        self.digest.ct_eq(presented_digest).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(text: &str) -> [u8; 32] {
        Sha256::digest(text.as_bytes()).into()
    }

    #[test]
    fn matches_only_the_same_key() {
        let admin = AdminKey::new(&Secret::new("pulse_admin"));
        assert!(admin.matches(&digest("pulse_admin")));
        assert!(!admin.matches(&digest("pulse_admin ")));
        assert!(!admin.matches(&digest("")));
    }
}
