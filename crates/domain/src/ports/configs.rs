//! `ConfigRepository`: where auto-sync configurations live.

use std::future::Future;

use crate::config::AutoSyncConfig;
use crate::ports::StoreError;
use crate::user_id::UserId;

/// Reads and changes users' auto-sync configurations.
pub trait ConfigRepository: Send + Sync {
    /// The stored configuration, or `None` when the user never saved one (no row is created).
    fn find_config(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<AutoSyncConfig>, StoreError>> + Send;

    /// Read-modify-write under a row lock: `change` sees the current row (or `None`) and returns
    /// the row to store, or `None` to store nothing. Returns the configuration as stored afterwards.
    fn modify_config<F>(
        &self,
        user: &UserId,
        change: F,
    ) -> impl Future<Output = Result<Option<AutoSyncConfig>, StoreError>> + Send
    where
        F: FnOnce(Option<&AutoSyncConfig>) -> Option<AutoSyncConfig> + Send;
}
