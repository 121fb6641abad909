//! `PULSE_ADMIN_API_KEY`: read only from the environment or from the file `PULSE_ADMIN_API_KEY_FILE`
//! names (never a command-line flag, so it never shows in `ps`), and refused when it holds less
//! than 32 bytes of entropy.

use std::path::Path;

use pulse_domain::Secret;

use crate::settings::SettingsError;
use crate::settings::variables::{PULSE_ADMIN_API_KEY, PULSE_ADMIN_API_KEY_FILE};

/// The least entropy an admin key must hold, in bits (32 bytes).
pub const MIN_ADMIN_KEY_BITS: f64 = 256.0;

/// The least Shannon entropy per character: below it the key is mostly repeats (`aaaa…`, `abab…`).
const MIN_BITS_PER_CHARACTER: f64 = 3.0;

/// The admin key from the process's environment, when one is configured.
pub fn admin_key_from_environment() -> Result<Option<Secret>, SettingsError> {
    admin_key(
        std::env::var(PULSE_ADMIN_API_KEY).ok().as_deref(),
        std::env::var(PULSE_ADMIN_API_KEY_FILE).ok().as_deref(),
    )
}

/// The admin key from the values of `PULSE_ADMIN_API_KEY` and `PULSE_ADMIN_API_KEY_FILE`.
pub fn admin_key(value: Option<&str>, file: Option<&str>) -> Result<Option<Secret>, SettingsError> {
    let value = value.map(str::trim).filter(|value| !value.is_empty());
    let file = file.map(str::trim).filter(|file| !file.is_empty());
    let (variable, key) = match (value, file) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(SettingsError::Invalid {
                variable: PULSE_ADMIN_API_KEY,
                reason: format!("set it or {PULSE_ADMIN_API_KEY_FILE}, not both"),
            });
        }
        (Some(value), None) => (PULSE_ADMIN_API_KEY, value.to_owned()),
        (None, Some(path)) => (PULSE_ADMIN_API_KEY_FILE, read_key_file(Path::new(path))?),
    };
    let bits = estimated_entropy_bits(&key);
    if bits < MIN_ADMIN_KEY_BITS {
        return Err(SettingsError::Invalid {
            variable,
            reason: format!(
                "the admin key holds about {bits:.0} bits of entropy, fewer than the {MIN_ADMIN_KEY_BITS:.0} \
                 required (32 random bytes); use e.g. `openssl rand -base64 32`"
            ),
        });
    }
    Ok(Some(Secret::new(key)))
}

fn read_key_file(path: &Path) -> Result<String, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|error| SettingsError::Invalid {
        variable: PULSE_ADMIN_API_KEY_FILE,
        reason: format!("cannot read {}: {error}", path.display()),
    })?;
    Ok(text.trim().to_owned())
}

/// An upper estimate of the key's entropy: after a leading name such as `pulse_admin_` (lower-case
/// words each followed by `_`, which carry no randomness), its length times the bits of the
/// smallest usual alphabet holding all its characters (hex, lower-case alphanumerics, base64,
/// printable ASCII); zero when its characters are mostly repeats.
pub fn estimated_entropy_bits(key: &str) -> f64 {
    let characters: Vec<char> = without_name_prefix(key).chars().collect();
    if characters.is_empty() || shannon_bits_per_character(&characters) < MIN_BITS_PER_CHARACTER {
        return 0.0;
    }
    let alphabet: f64 = if characters.iter().all(char::is_ascii_hexdigit) {
        16.0
    } else if characters
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        36.0
    } else if characters
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_' | '='))
    {
        64.0
    } else {
        95.0
    };
    characters.len() as f64 * alphabet.log2()
}

/// `key` without its leading `word_word_` name (lower-case ASCII words each ending in `_`).
fn without_name_prefix(key: &str) -> &str {
    let mut rest = key;
    while let Some((word, after)) = rest.split_once('_') {
        if word.is_empty() || !word.bytes().all(|byte| byte.is_ascii_lowercase()) {
            break;
        }
        rest = after;
    }
    rest
}

fn shannon_bits_per_character(characters: &[char]) -> f64 {
    let mut counts = std::collections::HashMap::<char, usize>::new();
    for character in characters {
        *counts.entry(*character).or_default() += 1;
    }
    let total = characters.len() as f64;
    counts
        .values()
        .map(|&count| {
            let share = count as f64 / total;
            -share * share.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_keys_of_32_bytes_pass_and_weak_ones_do_not() {
        // `openssl rand -base64 32` and `openssl rand -hex 32` shapes.
        assert!(
            estimated_entropy_bits("q3Vd0mJ8Yl+2xZr4kP9sT1uW6oN5bA7cE0fG8hI2jK4=")
                >= MIN_ADMIN_KEY_BITS
        );
        assert!(
            estimated_entropy_bits(
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
            ) >= MIN_ADMIN_KEY_BITS
        );
        assert!(estimated_entropy_bits("correct-horse") < MIN_ADMIN_KEY_BITS);
        assert!(estimated_entropy_bits(&"a".repeat(200)) < MIN_ADMIN_KEY_BITS);
        assert!(estimated_entropy_bits(&"ab".repeat(100)) < MIN_ADMIN_KEY_BITS);
        // 128 bits of hex, with or without a name in front, is not 32 bytes; 256 bits is.
        let hex_128 = "9f86d081884c7d659a2feaa0c55ad015";
        assert!(estimated_entropy_bits(hex_128) < MIN_ADMIN_KEY_BITS);
        assert!(estimated_entropy_bits(&format!("pulse_admin_{hex_128}")) < MIN_ADMIN_KEY_BITS);
        assert!(
            estimated_entropy_bits(&format!("pulse_admin_{hex_128}{hex_128}"))
                >= MIN_ADMIN_KEY_BITS
        );
    }

    #[test]
    fn a_weak_key_is_refused_naming_its_variable_and_not_its_value() {
        let error = admin_key(Some("hunter2hunter2"), None)
            .unwrap_err()
            .to_string();
        assert!(error.contains(PULSE_ADMIN_API_KEY), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
        assert!(admin_key(None, None).unwrap().is_none());
        let both = admin_key(Some("x"), Some("/nonexistent"))
            .unwrap_err()
            .to_string();
        assert!(both.contains(PULSE_ADMIN_API_KEY_FILE), "{both}");
    }
}
