//! `GoogleListing`: one listing round of `people/me/connections`, a page per `next_page` call,
//! every page sent with the same parameters (plus the `pageToken`).

use std::sync::Arc;

use pulse_domain::ports::{ContactListing, ContactPage, ListingMode, SourceError};
use pulse_domain::{GooglePerson, Secret, UserId};

use crate::client::ClientInner;

/// The person fields the profile mapping reads.
pub const PERSON_FIELDS: &str = "names,emailAddresses,phoneNumbers,organizations,photos,metadata";

/// An open listing; no request is made until the first `next_page`.
pub struct GoogleListing {
    client: Arc<ClientInner>,
    user: UserId,
    refresh_token: Secret,
    mode: ListingMode,
    page_token: Option<String>,
    finished: bool,
    pages: u32,
}

impl GoogleListing {
    pub(crate) fn new(
        client: Arc<ClientInner>,
        user: UserId,
        refresh_token: Secret,
        mode: ListingMode,
    ) -> Self {
        Self {
            client,
            user,
            refresh_token,
            mode,
            page_token: None,
            finished: false,
            pages: 0,
        }
    }

    async fn fetch(&mut self) -> Result<Option<ContactPage>, SourceError> {
        if self.finished {
            return Ok(None);
        }
        let page_size = self.client.page_size.to_string();
        let mut query = vec![
            ("personFields", PERSON_FIELDS),
            ("pageSize", page_size.as_str()),
            ("requestSyncToken", "true"),
        ];
        if let ListingMode::Incremental(sync_token) = &self.mode {
            query.push(("syncToken", sync_token.expose()));
        }
        if let Some(page_token) = &self.page_token {
            query.push(("pageToken", page_token.as_str()));
        }
        let page = self
            .client
            .list_connections(&self.user, &self.refresh_token, &query)
            .await?;
        self.pages += 1;
        let is_last = page.next_page_token.is_none();
        tracing::debug!(
            user = %self.user,
            page = self.pages,
            people = page.connections.len(),
            is_last,
            "listed a page of Google contacts"
        );
        self.finished = is_last;
        self.page_token = page.next_page_token;
        Ok(Some(ContactPage {
            people: page
                .connections
                .into_iter()
                .map(GooglePerson::from)
                .collect(),
            next_sync_token: page.next_sync_token.filter(|_| is_last).map(Secret::new),
            total_items: page.total_items,
        }))
    }
}

impl ContactListing for GoogleListing {
    async fn next_page(&mut self) -> Result<Option<ContactPage>, SourceError> {
        self.fetch().await
    }
}
