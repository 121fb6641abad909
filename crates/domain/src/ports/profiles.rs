//! `SyncRunStore` (the sync engine's writes) and `ProfileRepository` (the API's reads of profiles:
//! pages by name, and the change feed).

use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::feed::{ChangeCursor, ChangeKind};
use crate::job::{JobCounts, JobLease};
use crate::ports::{Page, RunEnd, StoreError};
use crate::profile::ProfileDraft;
use crate::user_id::UserId;

/// One listed page, already mapped, to apply in one transaction.
#[derive(Debug, Clone, Copy)]
pub struct PageWrite<'a> {
    /// People with an identifier, to upsert, in listing order (a resource name listed twice is
    /// written once, in its last version: see `plan_page`).
    pub profiles: &'a [ProfileDraft],
    /// Resource names Google reported deleted.
    pub deletions: &'a [String],
    /// People on the page without an identifier.
    pub skipped_no_identifier: i64,
    /// Resource names that no longer stand for a live profile: people listed without an
    /// identifier (they lost their last email or phone) and the former names of deleted people.
    /// A live profile stored under one of them is marked deleted, as a fresh full sync would not
    /// hold it; these are not counted as Google's reported deletions.
    pub retired: &'a [String],
    /// The run's counts before this page (the job's progress is set to these plus the page's).
    pub counts_before: JobCounts,
}

/// The writes of one sync run, each fenced by the job's lease.
pub trait SyncRunStore: Send + Sync {
    /// Upserts the page's profiles, marks its deletions, and records the job's progress, in one
    /// transaction. Returns the page's own counts (created, updated, unchanged, deleted, ...).
    fn apply_page(
        &self,
        lease: &JobLease,
        page: PageWrite<'_>,
    ) -> impl Future<Output = Result<JobCounts, StoreError>> + Send;

    /// Records the run's end in one transaction fenced on the attempt: the job's final state and
    /// counts; for a full listing, the user's profiles it did not see marked deleted; and, only
    /// while the connection still holds the grant the run loaded, the sync token or
    /// `reauth_required` and the schedule as [`RunEnd::schedule`] leaves it. Nothing is written
    /// when the lease was lost (`LeaseLost`). Returns the job's final counts.
    fn end_run(
        &self,
        lease: &JobLease,
        end: RunEnd,
    ) -> impl Future<Output = Result<JobCounts, StoreError>> + Send;

    /// Applies the listing's last page and records the run's end in one transaction: what
    /// [`apply_page`](Self::apply_page) and then [`end_run`](Self::end_run) write, fenced the
    /// same way, with one commit and no progress write of the page's own. `end.counts` are the
    /// counts of the pages before this one; the page's are added. Returns the job's final counts.
    fn end_run_after_page(
        &self,
        lease: &JobLease,
        page: PageWrite<'_>,
        end: RunEnd,
    ) -> impl Future<Output = Result<JobCounts, StoreError>> + Send;
}

/// A synced profile as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProfile {
    /// The profile's id.
    pub id: Uuid,
    /// The Google resource name.
    pub source_id: String,
    /// The name to show.
    pub display_name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Primary email.
    pub primary_email: Option<String>,
    /// All emails.
    pub emails: Vec<String>,
    /// All phones.
    pub phones: Vec<String>,
    /// Organization name.
    pub organization: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Photo URL.
    pub photo_url: Option<String>,
    /// The person's etag at the last sync.
    pub etag: Option<String>,
    /// When Google's side deleted it; `None` while live.
    pub deleted_at: Option<DateTime<Utc>>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
}

/// A query over one user's profiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileQuery {
    /// Whose profiles.
    pub user_id: UserId,
    /// At most this many.
    pub limit: i64,
    /// From this cursor on.
    pub cursor: Option<String>,
    /// Case-insensitive match on name or email.
    pub search: Option<String>,
    /// Include deleted profiles.
    pub include_deleted: bool,
}

/// A poll of one user's change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeQuery {
    /// Whose profiles.
    pub user_id: UserId,
    /// The changes after this position.
    pub after: ChangeCursor,
    /// At most this many (cut down to [`crate::feed::MAX_CHANGES_PER_PAGE`]).
    pub limit: i64,
}

/// One change of the feed: a profile in its latest state and what its latest write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileChangeItem {
    /// What the write did.
    pub change: ChangeKind,
    /// The number of the write (the feed's order).
    pub seq: i64,
    /// The profile as stored now (`deleted_at` set when deleted).
    pub profile: StoredProfile,
}

/// A page of the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePage {
    /// The changes, in feed order.
    pub items: Vec<ProfileChangeItem>,
    /// Where the next poll continues: after the last item, or the query's own position when
    /// there was none.
    pub next: ChangeCursor,
}

/// Reads synced profiles.
pub trait ProfileRepository: Send + Sync {
    /// One page of a user's profiles, ordered by display name then id.
    fn list_profiles(
        &self,
        query: &ProfileQuery,
    ) -> impl Future<Output = Result<Page<StoredProfile>, StoreError>> + Send;

    /// The user's profiles written after `query.after`, in the order of their writes, in one
    /// statement (one snapshot). A client that stores `next` and polls from it never misses a
    /// change: writers of a user's profiles number their writes in commit order.
    fn profile_changes(
        &self,
        query: &ChangeQuery,
    ) -> impl Future<Output = Result<ChangePage, StoreError>> + Send;
}
