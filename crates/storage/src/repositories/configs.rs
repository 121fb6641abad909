//! `ConfigRepository` on PostgreSQL: reads, and read-modify-writes under a row lock.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_domain::ports::{ConfigRepository, SettingsView, StoreError};
use pulse_domain::{AutoSyncConfig, PausedReason, SyncInterval, UserId};

use crate::error::StorageError;
use crate::schema::google_contacts_auto_sync_config as configs;
use crate::store::PgStore;

/// A row of `google_contacts_auto_sync_config`.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = configs, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ConfigRow {
    pub(crate) user_id: String,
    pub(crate) enabled: bool,
    pub(crate) interval_hours: i32,
    pub(crate) last_sync_at: Option<DateTime<Utc>>,
    pub(crate) next_sync_at: Option<DateTime<Utc>>,
    pub(crate) grid_slot_at: Option<DateTime<Utc>>,
    pub(crate) consecutive_failures: i32,
    pub(crate) paused_reason: Option<String>,
    pub(crate) last_error: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl ConfigRow {
    /// The domain's view of the row.
    pub(crate) fn into_domain(self) -> Result<AutoSyncConfig, StorageError> {
        Ok(AutoSyncConfig {
            user_id: UserId::parse(&self.user_id)?,
            enabled: self.enabled,
            interval_hours: SyncInterval::from_hours(i64::from(self.interval_hours))?,
            last_sync_at: self.last_sync_at,
            next_sync_at: self.next_sync_at,
            grid_slot_at: self.grid_slot_at,
            consecutive_failures: u32::try_from(self.consecutive_failures).map_err(|_| {
                StorageError::Corrupt(format!(
                    "negative consecutive_failures {}",
                    self.consecutive_failures
                ))
            })?,
            paused_reason: self
                .paused_reason
                .as_deref()
                .map(PausedReason::parse)
                .transpose()?,
            last_error: self.last_error,
            created_at: Some(self.created_at),
            updated_at: Some(self.updated_at),
        })
    }
}

/// The values written for a configuration.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = configs, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub(crate) struct ConfigWrite<'a> {
    pub(crate) user_id: &'a str,
    pub(crate) enabled: bool,
    pub(crate) interval_hours: i32,
    pub(crate) last_sync_at: Option<DateTime<Utc>>,
    pub(crate) next_sync_at: Option<DateTime<Utc>>,
    pub(crate) grid_slot_at: Option<DateTime<Utc>>,
    pub(crate) consecutive_failures: i32,
    pub(crate) paused_reason: Option<&'static str>,
    pub(crate) last_error: Option<&'a str>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl<'a> ConfigWrite<'a> {
    /// The row for `config`, created at `now` when it is new.
    pub(crate) fn new(user: &'a UserId, config: &'a AutoSyncConfig, now: DateTime<Utc>) -> Self {
        let created_at = config.created_at.unwrap_or(now);
        Self {
            user_id: user.as_str(),
            enabled: config.enabled,
            interval_hours: i32::try_from(config.interval_hours.hours()).unwrap_or(i32::MAX),
            last_sync_at: config.last_sync_at,
            next_sync_at: config.next_sync_at,
            grid_slot_at: config.grid_slot_at,
            consecutive_failures: i32::try_from(config.consecutive_failures).unwrap_or(i32::MAX),
            paused_reason: config.paused_reason.map(PausedReason::as_str),
            last_error: config.last_error.as_deref(),
            created_at,
            updated_at: config.updated_at.unwrap_or(created_at),
        }
    }
}

impl PgStore {
    async fn find_config_row(&self, user: &UserId) -> Result<Option<AutoSyncConfig>, StorageError> {
        let mut connection = self.unit().await?;
        let row = configs::table
            .filter(configs::user_id.eq(user.as_str()))
            .select(ConfigRow::as_select())
            .first(&mut *connection)
            .await
            .optional()?;
        connection.commit().await?;
        row.map(ConfigRow::into_domain).transpose()
    }

    async fn modify_config_row<F>(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
        change: F,
    ) -> Result<Option<AutoSyncConfig>, StorageError>
    where
        F: FnOnce(Option<&AutoSyncConfig>) -> Option<AutoSyncConfig> + Send,
    {
        let mut transaction = self.transaction().await?;
        let modified = modify_locked(&mut transaction, user, now, change).await?;
        transaction.commit().await?;
        Ok(modified)
    }
}

/// Reads the row under lock, applies `change`, and writes the result when it differs.
pub(crate) async fn modify_locked<F>(
    connection: &mut AsyncPgConnection,
    user: &UserId,
    now: DateTime<Utc>,
    change: F,
) -> Result<Option<AutoSyncConfig>, StorageError>
where
    F: FnOnce(Option<&AutoSyncConfig>) -> Option<AutoSyncConfig> + Send,
{
    // The row lock alone cannot serialise two first writes for a user (there is no row yet):
    // a transaction-scoped advisory lock on the user does.
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('pulse.config:' || $1, 0))")
        .bind::<Text, _>(user.as_str())
        .execute(connection)
        .await?;
    let current = configs::table
        .filter(configs::user_id.eq(user.as_str()))
        .select(ConfigRow::as_select())
        .for_update()
        .first(connection)
        .await
        .optional()?
        .map(ConfigRow::into_domain)
        .transpose()?;
    let Some(next) = change(current.as_ref()) else {
        return Ok(current);
    };
    if current.as_ref() == Some(&next) {
        return Ok(current);
    }
    let mut next = next;
    if next.updated_at.is_none() || next.updated_at == current.as_ref().and_then(|c| c.updated_at) {
        next.updated_at = Some(now);
    }
    let write = ConfigWrite::new(user, &next, now);
    diesel::insert_into(configs::table)
        .values(&write)
        .on_conflict(configs::user_id)
        .do_update()
        .set(&write)
        .returning(ConfigRow::as_returning())
        .get_result(connection)
        .await?
        .into_domain()
        .map(Some)
}

impl ConfigRepository for PgStore {
    async fn find_config(&self, user: &UserId) -> Result<Option<AutoSyncConfig>, StoreError> {
        Ok(self.find_config_row(user).await?)
    }

    async fn modify_config<F>(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
        change: F,
    ) -> Result<Option<AutoSyncConfig>, StoreError>
    where
        F: FnOnce(Option<&AutoSyncConfig>) -> Option<AutoSyncConfig> + Send,
    {
        Ok(self.modify_config_row(user, now, change).await?)
    }

    async fn settings_view(&self, user: &UserId) -> Result<SettingsView, StoreError> {
        Ok(self.settings_view_row(user).await?)
    }

    async fn change_settings<F>(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
        change: F,
    ) -> Result<SettingsView, StoreError>
    where
        F: Fn(Option<&AutoSyncConfig>) -> Option<AutoSyncConfig> + Send + Sync,
    {
        Ok(self.change_settings_row(user, now, change).await?)
    }
}
