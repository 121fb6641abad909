//! `ProfileView`: a synced Google contact as the CRM reads it; `ProfilePage`: a page of them;
//! `ProfileChangePage`: a page of the change feed.

use chrono::{DateTime, Utc};
use pulse_domain::ChangeKind;
use pulse_domain::ports::{ChangePage, ProfileChangeItem, StoredProfile};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One synced profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Profile)]
pub(crate) struct ProfileView {
    /// The profile id.
    pub id: Uuid,
    /// The Google resource name, e.g. `people/c123`.
    pub source_id: String,
    /// The name to show.
    #[schema(required = true)]
    pub display_name: Option<String>,
    /// Given name.
    #[schema(required = true)]
    pub given_name: Option<String>,
    /// Family name.
    #[schema(required = true)]
    pub family_name: Option<String>,
    /// Primary email.
    #[schema(required = true)]
    pub primary_email: Option<String>,
    /// All emails.
    pub emails: Vec<String>,
    /// All phone numbers.
    pub phones: Vec<String>,
    /// Organization.
    #[schema(required = true)]
    pub organization: Option<String>,
    /// Job title.
    #[schema(required = true)]
    pub title: Option<String>,
    /// Photo URL.
    #[schema(required = true)]
    pub photo_url: Option<String>,
    /// When Google's side deleted it; null while live.
    #[schema(required = true)]
    pub deleted_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<StoredProfile> for ProfileView {
    fn from(profile: StoredProfile) -> Self {
        Self {
            id: profile.id,
            source_id: profile.source_id,
            display_name: profile.display_name,
            given_name: profile.given_name,
            family_name: profile.family_name,
            primary_email: profile.primary_email,
            emails: profile.emails,
            phones: profile.phones,
            organization: profile.organization,
            title: profile.title,
            photo_url: profile.photo_url,
            deleted_at: profile.deleted_at,
            updated_at: profile.updated_at,
        }
    }
}

/// A page of profiles, by display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct ProfilePage {
    /// The profiles of this page.
    pub items: Vec<ProfileView>,
    /// Pass as `cursor` for the next page; null on the last.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// What the latest write of a profile did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ProfileChangeKind)]
pub(crate) enum ChangeKindView {
    /// First synced, or seen again after it was deleted.
    Created,
    /// A live profile changed.
    Updated,
    /// Deleted (its `deleted_at` is set).
    Deleted,
}

impl From<ChangeKind> for ChangeKindView {
    fn from(kind: ChangeKind) -> Self {
        match kind {
            ChangeKind::Created => Self::Created,
            ChangeKind::Updated => Self::Updated,
            ChangeKind::Deleted => Self::Deleted,
        }
    }
}

/// One change of the feed: what happened and the profile as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ProfileChange)]
pub(crate) struct ProfileChangeView {
    /// What the profile's latest write did.
    pub change: ChangeKindView,
    /// The profile in its latest state.
    pub profile: ProfileView,
}

impl From<ProfileChangeItem> for ProfileChangeView {
    fn from(item: ProfileChangeItem) -> Self {
        Self {
            change: item.change.into(),
            profile: item.profile.into(),
        }
    }
}

/// A page of the change feed, in the order of the writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ProfileChangePage)]
pub(crate) struct ProfileChangePage {
    /// The changes after the cursor, oldest first.
    pub items: Vec<ProfileChangeView>,
    /// Store it and send it as `after` on the next poll (always present; the cursor sent, or the
    /// start, when there was no change).
    pub next_cursor: String,
}

impl From<ChangePage> for ProfileChangePage {
    fn from(page: ChangePage) -> Self {
        Self {
            items: page
                .items
                .into_iter()
                .map(ProfileChangeView::from)
                .collect(),
            next_cursor: page.next.encode(),
        }
    }
}
