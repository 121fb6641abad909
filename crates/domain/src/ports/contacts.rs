//! `ContactsSource`: Google's contacts, listed page by page (fully or since a sync token).

use std::future::Future;

use crate::person::GooglePerson;
use crate::ports::SourceError;
use crate::secret::Secret;
use crate::user_id::UserId;

/// How to list a user's contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingMode {
    /// Everything, asking for a sync token on the last page.
    Full,
    /// Only what changed since this sync token was issued.
    Incremental(Secret),
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactPage {
    /// The people on this page, in Google's order.
    pub people: Vec<GooglePerson>,
    /// The sync token for the next incremental listing; only on the last page.
    pub next_sync_token: Option<Secret>,
    /// Google's `totalItems`, when it sends it.
    pub total_items: Option<i64>,
}

/// An open listing; pages arrive one at a time so a large account is never held in memory.
pub trait ContactListing: Send {
    /// The next page, or `None` after the last.
    fn next_page(
        &mut self,
    ) -> impl Future<Output = Result<Option<ContactPage>, SourceError>> + Send;
}

/// Lists a user's Google contacts; refreshes access tokens from the refresh token as needed.
pub trait ContactsSource: Send + Sync {
    /// The listing type this source returns.
    type Listing: ContactListing;

    /// Opens a listing; no request is made until the first `next_page`.
    fn open_listing(
        &self,
        user: &UserId,
        refresh_token: &Secret,
        mode: ListingMode,
    ) -> Self::Listing;
}
