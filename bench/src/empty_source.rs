//! `EmptyAccounts`: a contacts source in which every account is empty. A listing answers one empty
//! last page with a sync token at once, so a job's cost is the scheduler's and the store's alone
//! (claim, heartbeat, page write, finish, config update), not Google's.

use pulse_domain::ports::{ContactListing, ContactPage, ContactsSource, ListingMode, SourceError};
use pulse_domain::{Secret, UserId};

/// Every account is empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyAccounts;

/// A listing of an empty account: one empty last page.
#[derive(Debug)]
pub struct EmptyListing {
    served: bool,
}

impl ContactsSource for EmptyAccounts {
    type Listing = EmptyListing;

    fn open_listing(
        &self,
        _user: &UserId,
        _refresh_token: &Secret,
        _mode: ListingMode,
    ) -> EmptyListing {
        EmptyListing { served: false }
    }
}

impl ContactListing for EmptyListing {
    async fn next_page(&mut self) -> Result<Option<ContactPage>, SourceError> {
        if std::mem::replace(&mut self.served, true) {
            return Ok(None);
        }
        Ok(Some(ContactPage {
            people: Vec::new(),
            next_sync_token: Some(Secret::new("empty-account-sync-token")),
            total_items: Some(0),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listing_is_one_empty_last_page() {
        let user = UserId::parse("someone").expect("a valid user id");
        let mut listing =
            EmptyAccounts.open_listing(&user, &Secret::new("refresh"), ListingMode::Full);
        let page = listing
            .next_page()
            .await
            .expect("no error")
            .expect("one page");
        assert!(page.people.is_empty());
        assert!(page.next_sync_token.is_some());
        assert_eq!(listing.next_page().await.expect("no error"), None);
    }
}
