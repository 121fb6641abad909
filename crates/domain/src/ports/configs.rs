//! `ConfigRepository`: where auto-sync configurations live, and the settings page's view of them.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::config::AutoSyncConfig;
use crate::connection::ConnectionSummary;
use crate::ports::StoreError;
use crate::user_id::UserId;

/// A workspace's settings as the settings page shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsView {
    /// The stored configuration, or `None` when the workspace never saved one.
    pub config: Option<AutoSyncConfig>,
    /// The Google connection's state and account, or `None` when the workspace never connected.
    pub connection: Option<ConnectionSummary>,
}

/// Reads and changes users' auto-sync configurations.
pub trait ConfigRepository: Send + Sync {
    /// The stored configuration, or `None` when the user never saved one (no row is created).
    fn find_config(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<AutoSyncConfig>, StoreError>> + Send;

    /// Read-modify-write under a row lock: `change` sees the current row (or `None`) and returns
    /// the row to store, or `None` to store nothing; `now` stamps the change. Returns the
    /// configuration as stored afterwards.
    fn modify_config<F>(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
        change: F,
    ) -> impl Future<Output = Result<Option<AutoSyncConfig>, StoreError>> + Send
    where
        F: FnOnce(Option<&AutoSyncConfig>) -> Option<AutoSyncConfig> + Send;

    /// The configuration and the connection's state, read together (one statement, no row is
    /// created).
    fn settings_view(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<SettingsView, StoreError>> + Send;

    /// Changes the configuration by `change` (as [`Self::modify_config`], `now` stamping a first
    /// write) and returns the settings as stored with the connection's state. `change` may run
    /// twice: when another writer changed the row between the read and the write, it runs again
    /// on the newer row, under the row lock.
    fn change_settings<F>(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
        change: F,
    ) -> impl Future<Output = Result<SettingsView, StoreError>> + Send
    where
        F: Fn(Option<&AutoSyncConfig>) -> Option<AutoSyncConfig> + Send + Sync;
}
