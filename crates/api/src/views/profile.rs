//! `ProfileView`: a synced Google contact as the CRM reads it; `ProfilePage`: a page of them.

use chrono::{DateTime, Utc};
use pulse_domain::ports::StoredProfile;
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
