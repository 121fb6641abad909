//! `pulse-sync encryption-key rotate` re-seals every stored secret with `PULSE_ENCRYPTION_KEY`
//! (those sealed with `PULSE_PREVIOUS_ENCRYPTION_KEYS` open first), in batches, beside running
//! servers; `pulse-sync encryption-key status` says how many secrets each key id still seals, so
//! an old key can be retired once it seals none.

use clap::{Args, Subcommand};

use crate::database::Database;
use crate::encryption::{self, KeyFallback};
use crate::error::CliError;
use crate::settings::{DatabaseArgs, EncryptionArgs};

/// Options of `pulse-sync encryption-key`.
#[derive(Debug, Clone, Args)]
pub struct EncryptionKeyArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: EncryptionKeyAction,
    /// Which database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The current key and the older keys still in use.
    #[command(flatten)]
    pub encryption: EncryptionArgs,
}

/// The encryption-key actions.
#[derive(Debug, Clone, Subcommand)]
pub enum EncryptionKeyAction {
    /// Re-seals every stored secret with the current key (safe to run beside servers, and again).
    Rotate {
        /// Secrets of each kind re-sealed per transaction.
        #[arg(long, default_value = "100", value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch_size: i64,
    },
    /// Prints how many stored secrets each key id seals.
    Status,
}

/// Runs the action.
pub async fn run(args: EncryptionKeyArgs) -> Result<(), CliError> {
    let fallback = match args.database.url() {
        Some(_) => KeyFallback::Required,
        None => KeyFallback::KeyFile(&args.database.data_dir),
    };
    let keys = encryption::keys(&args.encryption, fallback)?;
    let database = Database::open(&args.database).await?;
    let outcome = async {
        database.ensure_schema().await?;
        let store = database.store(2, keys.ring.clone())?;
        if let EncryptionKeyAction::Rotate { batch_size } = args.action {
            let mut total = 0;
            loop {
                let resealed = store.reseal_batch(batch_size).await?;
                if resealed == 0 {
                    break;
                }
                total += resealed;
                tracing::info!(resealed, total, "re-sealed a batch of secrets");
            }
            println!(
                "Re-sealed {total} secrets with key {}",
                keys.ring.current_key_id()
            );
        }
        let counts = store.sealed_secret_counts().await?;
        let current = keys.ring.current_key_id();
        for (key_id, count) in &counts {
            let role = if key_id == current {
                "current"
            } else if keys.ids.contains(key_id) {
                "previous: re-seal with `encryption-key rotate`"
            } else {
                "not configured: these secrets cannot be opened"
            };
            println!("{key_id}\t{count} secrets\t{role}");
        }
        if counts.iter().all(|(key_id, _)| key_id == current) {
            println!(
                "Every stored secret is sealed with the current key: older keys can be removed."
            );
        }
        Ok(())
    }
    .await;
    database.close().await;
    outcome
}
