//! A fake Google for tests and the demo: a real HTTP server on loopback that speaks the OAuth2
//! (authorize with PKCE, token, revoke) and People API (`people/me/connections` with paging,
//! sync tokens, deletions, renames and Google's error bodies) protocols the client uses.
//!
//! It is driven through [`FakeGoogle`]'s methods or, from another process, through HTTP routes
//! under `/__control/`: add, edit, delete and rename contacts, pre-create or revoke grants,
//! expire access and sync tokens, inject faults for the next N calls (of every account or of
//! one), count requests, and list the secrets it issued (for leak checks).

mod account;
mod contact;
mod control_routes;
mod dataset;
mod faults;
mod oauth_routes;
mod paging;
mod people_page;
mod people_routes;
mod render;
mod responses;
mod server;
mod world;

pub use contact::{
    FakeContact, FakeEmail, FakeName, FakeOrganization, FakePhone, FakePhoto, StoredContact,
};
pub use dataset::{
    Dataset, SEED_ACCOUNT_SIZE, SEED_ACCOUNT_WITH_IDENTIFIER, generated_account, seed_account,
};
pub use faults::{Fault, FaultTarget};
pub use server::{FakeGoogle, FakeOptions, SEED_ACCOUNT};
pub use world::{AuthorizeMode, FakeEndpoint, IssuedSecrets, RequestCount};

/// A control call the fake cannot carry out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FakeError {
    /// No account by that id.
    #[error("the fake Google has no account {0:?}")]
    UnknownAccount(String),
    /// No live contact by that resource name.
    #[error("the account has no live contact {0:?}")]
    UnknownContact(String),
    /// No grant for that refresh token.
    #[error("the fake Google has no grant for that refresh token")]
    UnknownGrant,
    /// The server could not start.
    #[error("the fake Google could not start: {0}")]
    Start(String),
}
