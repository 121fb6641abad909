//! The key ring that seals Google grants at rest: from `PULSE_ENCRYPTION_KEY` (and
//! `PULSE_PREVIOUS_ENCRYPTION_KEYS`), or, on the local PostgreSQL, from a key file generated once
//! in the data directory (mode 0600).

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use pulse_domain::Secret;
use pulse_storage::crypto::EncryptionKey;
use pulse_storage::{KeyRing, PgStore, generate_key};

use crate::error::CliError;
use crate::inventory;
use crate::settings::variables::{
    DATABASE_URL, PULSE_ENCRYPTION_KEY, PULSE_PREVIOUS_ENCRYPTION_KEYS,
};
use crate::settings::{EncryptionArgs, SettingsError};

/// The key file's name in the data directory.
pub const KEY_FILE_NAME: &str = "encryption.key";

/// Where the key comes from when `PULSE_ENCRYPTION_KEY` is not set.
#[derive(Debug, Clone, Copy)]
pub enum KeyFallback<'a> {
    /// Nowhere: the variable is required (a database of the operator's, `DATABASE_URL`).
    Required,
    /// The key file in this data directory, generated on first use (the local PostgreSQL).
    KeyFile(&'a Path),
    /// A random key for this run only (the demo on a database of the operator's: it stores its
    /// grants again at every start).
    ThisRunOnly,
}

/// The keys of this run: the ring that seals and opens, and the ids of its keys.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Seals with the current key, opens with any.
    pub ring: KeyRing,
    /// The ids of every key in the ring, the current one first.
    pub ids: Vec<String>,
}

/// The keys for this run.
pub fn keys(args: &EncryptionArgs, fallback: KeyFallback<'_>) -> Result<Keys, CliError> {
    let previous = previous_keys(args.previous_encryption_keys.as_ref().map(Secret::expose))?;
    let configured = args
        .encryption_key
        .as_ref()
        .map(|key| key.expose().trim())
        .filter(|key| !key.is_empty());
    let current = match (configured, fallback) {
        (Some(encoded), _) => {
            EncryptionKey::from_base64(encoded).map_err(|error| SettingsError::Invalid {
                variable: PULSE_ENCRYPTION_KEY,
                reason: error.to_string(),
            })?
        }
        (None, KeyFallback::Required) => {
            return Err(SettingsError::Missing {
                variable: PULSE_ENCRYPTION_KEY,
                reason: format!(
                    "with {DATABASE_URL} set, the key that seals Google grants must be given \
                     (base64 of 32 random bytes, e.g. `openssl rand -base64 32`); only the local \
                     PostgreSQL generates its own"
                ),
            }
            .into());
        }
        (None, KeyFallback::KeyFile(data_dir)) => load_or_create_key_file(data_dir)?,
        (None, KeyFallback::ThisRunOnly) => {
            tracing::info!(
                "{PULSE_ENCRYPTION_KEY} is not set: grants are sealed with a key of this run only"
            );
            fresh_key()?
        }
    };
    let ids = std::iter::once(&current)
        .chain(&previous)
        .map(|key| key.id().to_owned())
        .collect();
    Ok(Keys {
        ring: KeyRing::with_previous(current, previous),
        ids,
    })
}

/// A ring for commands that never seal or open a secret (listing keys, reading settings): the
/// store needs one, and a random key keeps the real one out of processes that need none.
pub fn ring_for_secret_free_commands() -> Result<KeyRing, CliError> {
    fresh_key().map(KeyRing::new)
}

/// Logs a warning for every key that sealed stored grants but is not configured: those
/// workspaces' syncs fail until the key is given again (as current or previous key).
pub async fn warn_about_missing_keys(store: &PgStore, keys: &Keys) {
    match inventory::sealing_keys(store).await {
        Ok(sealing) => {
            for (key_id, grants) in sealing {
                if !keys.ids.contains(&key_id) {
                    tracing::warn!(key_id = %key_id, grants, "stored Google grants are sealed with a key that is not configured: their syncs will fail until {PULSE_ENCRYPTION_KEY} or {PULSE_PREVIOUS_ENCRYPTION_KEYS} holds it");
                }
            }
        }
        Err(error) => tracing::warn!(%error, "could not check which keys sealed the stored grants"),
    }
}

fn previous_keys(raw: Option<&str>) -> Result<Vec<EncryptionKey>, SettingsError> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .enumerate()
        .map(|(index, encoded)| {
            EncryptionKey::from_base64(encoded).map_err(|error| SettingsError::Invalid {
                variable: PULSE_PREVIOUS_ENCRYPTION_KEYS,
                reason: format!("key {} of the list: {error}", index + 1),
            })
        })
        .collect()
}

fn fresh_key() -> Result<EncryptionKey, CliError> {
    EncryptionKey::from_base64(&generate_key())
        .map_err(|error| CliError::Task(format!("a generated key did not load: {error}")))
}

/// The key in `<data_dir>/encryption.key`, generated (mode 0600) when the file does not exist.
fn load_or_create_key_file(data_dir: &Path) -> Result<EncryptionKey, CliError> {
    let path = data_dir.join(KEY_FILE_NAME);
    match read_key_file(&path) {
        Ok(key) => return Ok(key),
        Err(KeyFileRead::Missing) => {}
        Err(KeyFileRead::Failed(reason)) => return Err(CliError::KeyFile { path, reason }),
    }
    std::fs::create_dir_all(data_dir).map_err(|error| CliError::KeyFile {
        path: path.clone(),
        reason: format!("cannot create its directory: {error}"),
    })?;
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path);
    let mut file = match created {
        Ok(file) => file,
        // Another process wrote it in the meantime: use theirs.
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {
            return read_key_file(&path).map_err(|read| CliError::KeyFile {
                path: path.clone(),
                reason: read.to_string(),
            });
        }
        Err(error) => {
            return Err(CliError::KeyFile {
                path,
                reason: format!("cannot create it: {error}"),
            });
        }
    };
    let encoded = generate_key();
    file.write_all(format!("{encoded}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|error| CliError::KeyFile {
            path: path.clone(),
            reason: format!("cannot write it: {error}"),
        })?;
    tracing::info!(path = %path.display(), "generated the encryption key of the local PostgreSQL; keep this file: the stored Google grants open only with it");
    EncryptionKey::from_base64(&encoded).map_err(|error| CliError::KeyFile {
        path,
        reason: error.to_string(),
    })
}

/// Why the key file could not be used.
#[derive(Debug, thiserror::Error)]
enum KeyFileRead {
    #[error("it does not exist")]
    Missing,
    #[error("{0}")]
    Failed(String),
}

fn read_key_file(path: &PathBuf) -> Result<EncryptionKey, KeyFileRead> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => return Err(KeyFileRead::Missing),
        Err(error) => return Err(KeyFileRead::Failed(format!("cannot read it: {error}"))),
    };
    let shared = std::fs::metadata(path)
        .map(|metadata| metadata.permissions().mode() & 0o077 != 0)
        .unwrap_or(false);
    if shared {
        tracing::warn!(path = %path.display(), "the encryption key file is readable by other users; restrict it with `chmod 600`");
    }
    EncryptionKey::from_base64(text.trim()).map_err(|error| KeyFileRead::Failed(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(current: Option<&str>, previous: Option<&str>) -> EncryptionArgs {
        EncryptionArgs {
            encryption_key: current.map(Secret::new),
            previous_encryption_keys: previous.map(Secret::new),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "pulse-server-{name}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_configured_key_wins_and_previous_keys_are_kept() {
        let current = generate_key();
        let old = generate_key();
        let keys = keys(&args(Some(&current), Some(&old)), KeyFallback::Required).unwrap();
        let ring = keys.ring;
        let expected = EncryptionKey::from_base64(&current).unwrap();
        assert_eq!(ring.current_key_id(), expected.id());
        let old_id = EncryptionKey::from_base64(&old).unwrap().id().to_owned();
        assert_eq!(keys.ids, [expected.id().to_owned(), old_id]);
        let sealed = KeyRing::new(EncryptionKey::from_base64(&old).unwrap())
            .seal(&pulse_domain::Secret::new("token"), "ctx")
            .unwrap();
        assert_eq!(ring.open(&sealed, "ctx").unwrap().expose(), "token");
    }

    #[test]
    fn a_missing_key_is_refused_where_required_and_bad_keys_name_their_variable() {
        let missing = keys(&args(None, None), KeyFallback::Required).unwrap_err();
        assert!(
            missing.to_string().contains(PULSE_ENCRYPTION_KEY),
            "{missing}"
        );
        assert_eq!(missing.exit_code(), 2);
        let secret_looking = "bm90LWEtMzItYnl0ZS1rZXk=";
        let invalid = keys(&args(Some(secret_looking), None), KeyFallback::Required).unwrap_err();
        assert!(
            invalid.to_string().contains(PULSE_ENCRYPTION_KEY),
            "{invalid}"
        );
        assert!(!invalid.to_string().contains(secret_looking), "{invalid}");
        let previous = keys(
            &args(Some(&generate_key()), Some("not base64!")),
            KeyFallback::Required,
        )
        .unwrap_err();
        assert!(
            previous
                .to_string()
                .contains(PULSE_PREVIOUS_ENCRYPTION_KEYS),
            "{previous}"
        );
    }

    #[test]
    fn the_key_file_is_created_once_private_and_reused() {
        let dir = temp_dir("key-file");
        let first = keys(&args(None, None), KeyFallback::KeyFile(&dir)).unwrap();
        let path = dir.join(KEY_FILE_NAME);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = keys(&args(None, None), KeyFallback::KeyFile(&dir)).unwrap();
        assert_eq!(first.ring.current_key_id(), second.ring.current_key_id());
        std::fs::write(&path, "garbage").unwrap();
        let broken = keys(&args(None, None), KeyFallback::KeyFile(&dir)).unwrap_err();
        assert!(broken.to_string().contains(KEY_FILE_NAME), "{broken}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_run_only_key_differs_each_time() {
        let first = keys(&args(None, None), KeyFallback::ThisRunOnly).unwrap();
        let second = keys(&args(None, None), KeyFallback::ThisRunOnly).unwrap();
        assert_ne!(first.ring.current_key_id(), second.ring.current_key_id());
    }
}
