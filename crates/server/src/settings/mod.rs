//! The configuration of pulse-sync: the variables it reads ([`variables::VARIABLES`]), the clap
//! argument groups that read them, their value parsers, and the error of a bad setting.

pub mod admin_key;
pub mod args;
pub mod error;
pub mod parse;
pub mod variables;

pub use args::{DatabaseArgs, EncryptionArgs, GoogleArgs, HttpArgs, SchedulerArgs, WebhookArgs};
pub use error::SettingsError;
pub use variables::VARIABLES;
