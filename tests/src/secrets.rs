//! `SecretSet`: the secrets a scenario handled (tokens the fake issued, API keys, verifiers),
//! and a scan of any text (logs, answers, rows) for them, raw or URL-encoded.

use pulse_google::fake::IssuedSecrets;

use crate::api::encode;

/// Values shorter than this are not scanned for (they would match by chance).
const SHORTEST_SCANNED: usize = 12;

/// Named secrets to look for.
#[derive(Debug, Clone, Default)]
pub struct SecretSet {
    entries: Vec<(String, String)>,
}

impl SecretSet {
    /// Adds a secret under a label (the label, never the value, is what a failure shows).
    pub fn add(&mut self, label: &str, value: &str) -> &mut Self {
        assert!(
            value.len() >= SHORTEST_SCANNED,
            "{label} is too short to scan for reliably"
        );
        self.entries.push((label.to_owned(), value.to_owned()));
        self
    }

    /// Adds every refresh, access and sync token and PKCE verifier the fake issued or received
    /// (not the authorization codes: they travel in the browser's redirect by design).
    pub fn add_issued(&mut self, issued: &IssuedSecrets) -> &mut Self {
        let groups = [
            ("refresh token", &issued.refresh_tokens),
            ("access token", &issued.access_tokens),
            ("PKCE verifier", &issued.code_verifiers),
            ("sync token", &issued.sync_tokens),
        ];
        for (label, values) in groups {
            for (index, value) in values.iter().enumerate() {
                self.add(&format!("{label} #{}", index + 1), value);
            }
        }
        self
    }

    /// How many secrets are scanned for.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no secret was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The labels of the secrets found in `text`, raw or percent-encoded.
    pub fn found_in(&self, text: &str) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(_, value)| text.contains(value.as_str()) || text.contains(&encode(value)))
            .map(|(label, _)| label.clone())
            .collect()
    }

    /// Fails the test, naming `place` and the secrets, if any appears in `text`.
    #[track_caller]
    pub fn assert_absent(&self, place: &str, text: &str) {
        let found = self.found_in(text);
        assert!(found.is_empty(), "{place} shows secrets: {found:?}");
    }
}

/// The S256 PKCE challenge of a verifier: BASE64URL(SHA-256(verifier)) without padding.
pub fn s256_challenge(verifier: &str) -> String {
    use sha2::Digest;
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let digest = sha2::Sha256::digest(verifier.as_bytes());
    let mut encoded = String::new();
    for chunk in digest.chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        let sextets = chunk.len() + 1;
        for i in 0..sextets {
            let index = (n >> (18 - 6 * i)) & 0x3F;
            encoded.push(char::from(ALPHABET[index as usize]));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_of_rfc_7636s_example() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn secrets_are_found_raw_and_url_encoded() {
        let mut secrets = SecretSet::default();
        secrets.add("refresh token", "1//fake-refresh-abcdef");
        assert_eq!(
            secrets.found_in("x 1//fake-refresh-abcdef y"),
            ["refresh token"]
        );
        assert_eq!(
            secrets.found_in("token=1%2F%2Ffake-refresh-abcdef"),
            ["refresh token"]
        );
        assert!(secrets.found_in("1//fake-refresh-abcde").is_empty());
    }
}
