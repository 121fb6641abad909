//! Sync jobs: one run of a user's sync, its trigger, status, counts and the lease that fences it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::ValidationError;
use crate::user_id::UserId;

/// What started a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobTrigger {
    /// The scheduler, because auto-sync was due.
    Auto,
    /// The user pressed "Sync now" (or ran the CLI).
    Manual,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for a worker.
    Queued,
    /// Claimed by a worker holding a lease.
    Running,
    /// Finished; the sync token advanced.
    Completed,
    /// Finished with an error after its attempts.
    Failed,
    /// Stopped before it ran (for example the connection was removed).
    Cancelled,
}

macro_rules! named_enum {
    ($ty:ty, $field:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The stored and serialized name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }

            /// Parses the stored name.
            pub fn parse(raw: &str) -> Result<Self, ValidationError> {
                match raw {
                    $($name => Ok(Self::$variant),)+
                    other => Err(ValidationError::UnknownVariant { field: $field, value: other.to_owned() }),
                }
            }
        }
    };
}

named_enum!(JobTrigger, "trigger", { Auto => "auto", Manual => "manual" });
named_enum!(JobStatus, "status", {
    Queued => "queued",
    Running => "running",
    Completed => "completed",
    Failed => "failed",
    Cancelled => "cancelled",
});

impl JobStatus {
    /// Whether the job has ended for good.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

/// The counts a run reports; they add up (see [`JobCounts::adds_up`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct JobCounts {
    /// People Google returned in the run (including deletions it reported).
    pub total_contacts: i64,
    /// People with an identifier: `created + updated + unchanged`.
    pub synced: i64,
    /// Profiles created.
    pub created: i64,
    /// Profiles whose etag changed (or that came back after a deletion).
    pub updated: i64,
    /// Profiles whose etag was the same.
    pub unchanged: i64,
    /// Profiles marked deleted (reported by Google or missing from a complete full listing).
    pub deleted: i64,
    /// People without an email or phone.
    pub skipped_no_identifier: i64,
    /// Deletions Google reported in the listing.
    pub reported_deletions: i64,
}

impl JobCounts {
    /// Adds another page's counts to these.
    pub fn add(&mut self, other: &JobCounts) {
        self.total_contacts += other.total_contacts;
        self.synced += other.synced;
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.deleted += other.deleted;
        self.skipped_no_identifier += other.skipped_no_identifier;
        self.reported_deletions += other.reported_deletions;
    }

    /// The invariants: total = synced + skipped + reported deletions; synced = created + updated + unchanged.
    pub fn adds_up(&self) -> bool {
        self.total_contacts == self.synced + self.skipped_no_identifier + self.reported_deletions
            && self.synced == self.created + self.updated + self.unchanged
    }
}

/// A sync job as stored in `google_contacts_sync_jobs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncJob {
    /// The job id.
    pub id: Uuid,
    /// Whose contacts the job syncs.
    pub user_id: UserId,
    /// Auto or manual.
    pub trigger: JobTrigger,
    /// Queued, running or final.
    pub status: JobStatus,
    /// People fetched so far (progress).
    pub fetched: i64,
    /// The counts so far, final once the job is.
    pub counts: JobCounts,
    /// The failure message of a failed job.
    pub error: Option<String>,
    /// 1 for the first run; rescues and retries add one.
    pub attempt: i32,
    /// The worker holding the lease, while running.
    pub worker_id: Option<String>,
    /// When the lease runs out unless a heartbeat extends it.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Not to be claimed before this time (retry backoff).
    pub run_after: DateTime<Utc>,
    /// When the job was queued.
    pub created_at: DateTime<Utc>,
    /// When the current attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the job ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// The right to write to one attempt of a running job; every write is fenced by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLease {
    /// The job id.
    pub job_id: Uuid,
    /// Whose job it is.
    pub user_id: UserId,
    /// The attempt this lease belongs to; a rescued job's new attempt fences out the old one.
    pub attempt: i32,
    /// The claiming worker.
    pub worker_id: String,
    /// Auto or manual.
    pub trigger: JobTrigger,
    /// When the attempt started.
    pub started_at: DateTime<Utc>,
}
