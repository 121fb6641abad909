//! What a user's profiles must be: the fake Google's live contacts through the domain's mapping,
//! compared with the live rows in `relationship_profiles`.

use pulse_domain::ports::{ProfileQuery, ProfileRepository, StoredProfile};
use pulse_domain::{PersonOutcome, ProfileDraft, UserId, map_person};
use pulse_google::fake::FakeGoogle;
use pulse_storage::PgStore;

/// The comparable content of a profile: everything a sync writes from Google's data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProfileContent {
    /// Resource name.
    pub source_id: String,
    /// Etag.
    pub etag: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Primary email.
    pub primary_email: Option<String>,
    /// Emails.
    pub emails: Vec<String>,
    /// Phones.
    pub phones: Vec<String>,
    /// Organization.
    pub organization: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Photo URL.
    pub photo_url: Option<String>,
}

impl From<ProfileDraft> for ProfileContent {
    fn from(draft: ProfileDraft) -> Self {
        Self {
            source_id: draft.source_id,
            etag: draft.etag,
            display_name: draft.display_name,
            given_name: draft.given_name,
            family_name: draft.family_name,
            primary_email: draft.primary_email,
            emails: draft.emails,
            phones: draft.phones,
            organization: draft.organization,
            title: draft.title,
            photo_url: draft.photo_url,
        }
    }
}

impl From<StoredProfile> for ProfileContent {
    fn from(profile: StoredProfile) -> Self {
        Self {
            source_id: profile.source_id,
            etag: profile.etag,
            display_name: profile.display_name,
            given_name: profile.given_name,
            family_name: profile.family_name,
            primary_email: profile.primary_email,
            emails: profile.emails,
            phones: profile.phones,
            organization: profile.organization,
            title: profile.title,
            photo_url: profile.photo_url,
        }
    }
}

/// The profiles a fresh full sync of `account` must give, sorted by resource name.
pub fn expected_profiles(google: &FakeGoogle, account: &str) -> Vec<ProfileContent> {
    let contacts = google.contacts(account).expect("the account exists");
    let mut expected: Vec<ProfileContent> = contacts
        .iter()
        .filter_map(|contact| match map_person(&contact.to_google_person()) {
            PersonOutcome::Profile(draft) => Some(ProfileContent::from(draft)),
            _ => None,
        })
        .collect();
    expected.sort();
    expected
}

/// Every live (or, with `include_deleted`, every) stored profile of `user`, sorted by resource name.
pub async fn stored_profiles(
    store: &PgStore,
    user: &UserId,
    include_deleted: bool,
) -> Vec<StoredProfile> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let query = ProfileQuery {
            user_id: user.clone(),
            limit: 500,
            cursor: cursor.clone(),
            search: None,
            include_deleted,
        };
        let page = store
            .list_profiles(&query)
            .await
            .expect("profiles are listed");
        all.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    all.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    all
}

/// The content of every live stored profile of `user`, sorted by resource name.
pub async fn live_profiles(store: &PgStore, user: &UserId) -> Vec<ProfileContent> {
    let mut live: Vec<ProfileContent> = stored_profiles(store, user, false)
        .await
        .into_iter()
        .map(ProfileContent::from)
        .collect();
    live.sort();
    live
}
