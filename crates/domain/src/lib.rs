//! The pure core of pulse-sync: validated identifiers, the auto-sync schedule rules, the mapping of a
//! Google person to a CRM profile, sync jobs, and the ports (traits) that storage and Google implement.
//!
//! Nothing here performs I/O; the outer crates supply it through the traits in [`ports`].

pub mod config;
pub mod connection;
pub mod error;
pub mod error_id;
pub mod feed;
pub mod humanize;
pub mod interval;
pub mod job;
pub mod person;
pub mod ports;
pub mod profile;
pub mod schedule;
pub mod secret;
pub mod sync;
pub mod user_id;
pub mod webhook;

pub use config::{AutoSyncConfig, ConfigUpdate, PausedReason, apply_update};
pub use connection::{ConnectionStatus, ConnectionSummary, GoogleConnection, NewConnection};
pub use error::ValidationError;
pub use error_id::{ErrorId, INTERNAL_ERROR_MESSAGE};
pub use feed::{ChangeCursor, ChangeKind};
pub use humanize::humanize_until;
pub use interval::SyncInterval;
pub use job::{JobCounts, JobLease, JobStatus, JobTrigger, SyncJob};
pub use person::GooglePerson;
pub use profile::{PersonOutcome, ProfileDraft, map_person};
pub use schedule::{FailureKind, SyncFailure, advance, is_due, on_failure, on_success, select_due};
pub use secret::Secret;
pub use user_id::UserId;
