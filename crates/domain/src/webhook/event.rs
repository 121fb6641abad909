//! The four webhook events and their data, and the rule that decides which a run's end reports.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::config::PausedReason;
use crate::error::ValidationError;
use crate::feed::ChangeCursor;
use crate::job::{JobCounts, JobLease, JobStatus, JobTrigger, SyncJob};
use crate::ports::{RunEnd, RunEnding};
use crate::schedule::FailureKind;

/// The events an endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// A sync run completed.
    SyncCompleted,
    /// A sync job failed for good (after its attempts, or when Google refused the grant).
    SyncFailed,
    /// Auto-sync paused itself (too many failures in a row, or Google refused the grant).
    AutoSyncPaused,
    /// Google refused the grant: the workspace must reconnect.
    GoogleReauthRequired,
}

impl EventKind {
    /// Every event, in the order the documentation lists them.
    pub const ALL: [Self; 4] = [
        Self::SyncCompleted,
        Self::SyncFailed,
        Self::AutoSyncPaused,
        Self::GoogleReauthRequired,
    ];

    /// The event's name in bodies, subscriptions and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SyncCompleted => "sync.completed",
            Self::SyncFailed => "sync.failed",
            Self::AutoSyncPaused => "auto_sync.paused",
            Self::GoogleReauthRequired => "google.reauth_required",
        }
    }

    /// Parses an event name.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| ValidationError::UnknownVariant {
                field: "events",
                value: raw.to_owned(),
            })
    }
}

/// A run's counts as the API shows them on a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EventCounts {
    /// People Google returned in the run (including deletions it reported).
    pub total_contacts: i64,
    /// People with an identifier: `created + updated + unchanged`.
    pub synced: i64,
    /// Profiles created.
    pub created: i64,
    /// Profiles whose etag changed.
    pub updated: i64,
    /// Profiles whose etag was the same.
    pub unchanged: i64,
    /// Profiles marked deleted.
    pub deleted: i64,
    /// People without an email or phone.
    pub skipped_no_identifier: i64,
}

impl From<&JobCounts> for EventCounts {
    fn from(counts: &JobCounts) -> Self {
        Self {
            total_contacts: counts.total_contacts,
            synced: counts.synced,
            created: counts.created,
            updated: counts.updated,
            unchanged: counts.unchanged,
            deleted: counts.deleted,
            skipped_no_identifier: counts.skipped_no_identifier,
        }
    }
}

/// The `data` object of an event, one shape per event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum WebhookEventData {
    /// `sync.completed`.
    SyncCompleted {
        /// The job.
        job_id: Uuid,
        /// `auto` or `manual`.
        trigger: JobTrigger,
        /// The job's final counts.
        counts: EventCounts,
        /// When the attempt that completed started.
        started_at: DateTime<Utc>,
        /// When it ended.
        finished_at: DateTime<Utc>,
        /// The change-feed cursors around the changes since the workspace's previous
        /// `sync.completed` (the run's own among them).
        #[serde(skip_serializing_if = "Option::is_none")]
        changes: Option<ChangeRange>,
    },
    /// `sync.failed`.
    SyncFailed {
        /// The job.
        job_id: Uuid,
        /// `auto` or `manual`.
        trigger: JobTrigger,
        /// `transient` or `authorization`.
        kind: &'static str,
        /// What went wrong, in words a user understands (never a secret).
        message: String,
        /// When the last attempt started.
        started_at: DateTime<Utc>,
        /// When it ended.
        finished_at: DateTime<Utc>,
    },
    /// `auto_sync.paused`.
    AutoSyncPaused {
        /// `too_many_failures` or `google_reauth_required`.
        reason: &'static str,
        /// Failed runs in a row.
        consecutive_failures: u32,
        /// The last failure's message.
        message: String,
        /// The job whose end paused auto-sync.
        job_id: Uuid,
    },
    /// `google.reauth_required`.
    GoogleReauthRequired {
        /// The job that found the grant refused.
        job_id: Uuid,
        /// What the user should do.
        message: String,
    },
}

/// A range of a workspace's change feed, as the feed's opaque cursors: `GET
/// .../profiles/changes?after=<after>` lists its changes, up to the one `until` names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRange {
    /// The cursor before the first change of the range.
    pub after: String,
    /// The cursor after its last change.
    pub until: String,
}

/// One event to write into the outbox (its id, workspace sequence and time come with the write).
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    /// Which event.
    pub kind: EventKind,
    /// Its data.
    pub data: WebhookEventData,
}

/// What the end's writes did, as far as events depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EndFacts {
    /// The schedule the end wrote paused auto-sync (it was not paused before), and why; with the
    /// failure count it left.
    pub paused: Option<(PausedReason, u32)>,
    /// The end marked the connection `reauth_required` (it was connected, with the run's grant).
    pub marked_reauth_required: bool,
    /// For a completed run: the change-feed position the workspace's previous `sync.completed`
    /// reported up to, and the position after this end's own writes.
    pub changes: Option<(ChangeCursor, ChangeCursor)>,
}

/// `sync.failed` for a job that failed for good.
fn sync_failed(
    job_id: Uuid,
    trigger: JobTrigger,
    kind: FailureKind,
    message: &str,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
) -> EventDraft {
    EventDraft {
        kind: EventKind::SyncFailed,
        data: WebhookEventData::SyncFailed {
            job_id,
            trigger,
            kind: match kind {
                FailureKind::Transient => "transient",
                FailureKind::Authorization => "authorization",
            },
            message: message.to_owned(),
            started_at,
            finished_at,
        },
    }
}

/// `sync.failed` for a job the rescuer failed for good, its worker having lost the lease on its
/// last attempt (a transient failure: the worker died or lost the database); `None` for a job
/// that is not failed.
pub fn event_for_rescued_failure(job: &SyncJob) -> Option<EventDraft> {
    if job.status != JobStatus::Failed {
        return None;
    }
    let finished_at = job.finished_at?;
    Some(sync_failed(
        job.id,
        job.trigger,
        FailureKind::Transient,
        job.error.as_deref().unwrap_or_default(),
        job.started_at.unwrap_or(finished_at),
        finished_at,
    ))
}

/// The events a run's end reports, in the order they happen: `sync.completed` or `sync.failed`
/// for a job that ended for good (none for an attempt that will be retried), then
/// `google.reauth_required` and `auto_sync.paused` when the end did those.
pub fn events_for_end(
    lease: &JobLease,
    end: &RunEnd,
    counts: &JobCounts,
    facts: EndFacts,
) -> Vec<EventDraft> {
    let mut events = Vec::new();
    match &end.ending {
        RunEnding::Retrying { .. } => return events,
        RunEnding::Completed { .. } => events.push(EventDraft {
            kind: EventKind::SyncCompleted,
            data: WebhookEventData::SyncCompleted {
                job_id: lease.job_id,
                trigger: lease.trigger,
                counts: EventCounts::from(counts),
                started_at: lease.started_at,
                finished_at: end.finished_at,
                changes: facts.changes.map(|(after, until)| ChangeRange {
                    after: after.encode(),
                    until: until.encode(),
                }),
            },
        }),
        RunEnding::Failed { failure, .. } => events.push(sync_failed(
            lease.job_id,
            lease.trigger,
            failure.kind,
            &failure.message,
            lease.started_at,
            end.finished_at,
        )),
    }
    let message = end.error().unwrap_or_default().to_owned();
    if facts.marked_reauth_required {
        events.push(EventDraft {
            kind: EventKind::GoogleReauthRequired,
            data: WebhookEventData::GoogleReauthRequired {
                job_id: lease.job_id,
                message: message.clone(),
            },
        });
    }
    if let Some((reason, consecutive_failures)) = facts.paused {
        events.push(EventDraft {
            kind: EventKind::AutoSyncPaused,
            data: WebhookEventData::AutoSyncPaused {
                reason: reason.as_str(),
                consecutive_failures,
                message,
                job_id: lease.job_id,
            },
        });
    }
    events
}
