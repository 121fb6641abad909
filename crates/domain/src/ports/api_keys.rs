//! `ApiKeyRepository`: API keys, stored only as hashes, scoped to one workspace or admin.

use std::future::Future;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ports::StoreError;
use crate::user_id::UserId;

/// What a key may access.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ApiKeyScope {
    /// Every workspace, and the admin operations.
    Admin,
    /// One workspace only.
    Workspace(UserId),
}

impl ApiKeyScope {
    /// Whether a key of this scope may act on `user`.
    pub fn allows(&self, user: &UserId) -> bool {
        match self {
            Self::Admin => true,
            Self::Workspace(own) => own == user,
        }
    }
}

/// A stored key, without the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// The key's id (shown, used to revoke).
    pub id: Uuid,
    /// A label for people.
    pub name: Option<String>,
    /// What it may access.
    pub scope: ApiKeyScope,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; revoked keys never authenticate.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Stores API key hashes.
pub trait ApiKeyRepository: Send + Sync {
    /// Stores a new key's hash (hex SHA-256) and returns its record.
    fn create_key(
        &self,
        key_hash: &str,
        scope: &ApiKeyScope,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<ApiKeyRecord, StoreError>> + Send;

    /// The unrevoked key with this hash, marking it used at `now` (to the minute; the mark may
    /// be written later, in a batch). A key revoked by another process may still be found for
    /// up to a second; one revoked through this store, never.
    fn authenticate(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<ApiKeyRecord>, StoreError>> + Send;

    /// Every key, newest first.
    fn list_keys(&self) -> impl Future<Output = Result<Vec<ApiKeyRecord>, StoreError>> + Send;

    /// Revokes a key; `false` when no unrevoked key has that id.
    fn revoke_key(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
