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

    /// Adds every token, code and verifier the fake issued or received.
    pub fn add_issued(&mut self, issued: &IssuedSecrets) -> &mut Self {
        let groups = [
            ("refresh token", &issued.refresh_tokens),
            ("access token", &issued.access_tokens),
            ("PKCE verifier", &issued.code_verifiers),
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
