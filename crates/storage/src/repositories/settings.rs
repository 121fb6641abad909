//! The settings page's use cases on PostgreSQL: a workspace's configuration read together with
//! its connection's state (one statement), and a change written by compare-and-set on the row's
//! version (one statement that also returns the connection's state).

use chrono::{DateTime, Utc};
use diesel::sql_types::{Bool, Integer, Nullable, Text, Timestamptz};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_domain::ports::SettingsView;
use pulse_domain::{AutoSyncConfig, ConnectionStatus, ConnectionSummary, UserId};

use crate::error::StorageError;
use crate::prepared::Prepared;
use crate::repositories::configs::{ConfigRow, ConfigWrite, modify_locked};
use crate::store::PgStore;

/// The configuration's columns, its row version and the connection's state, as every statement
/// here returns them (from `c`, the configuration, and `g`, the connection).
const SETTINGS_COLUMNS: &str =
    "c.user_id, c.enabled, c.interval_hours, c.last_sync_at, c.next_sync_at,
        c.grid_slot_at, c.consecutive_failures, c.paused_reason, c.last_error, c.created_at,
        c.updated_at, c.row_version, g.status AS connection_status,
        g.google_email AS connection_email";

/// A workspace's settings row: every configuration column is null when it never saved any.
#[derive(Debug, QueryableByName)]
struct SettingsRow {
    #[diesel(sql_type = Nullable<Text>)]
    user_id: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    enabled: Option<bool>,
    #[diesel(sql_type = Nullable<Integer>)]
    interval_hours: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_sync_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    next_sync_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    grid_slot_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Integer>)]
    consecutive_failures: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    paused_reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    last_error: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    created_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    updated_at: Option<DateTime<Utc>>,
    /// The row's `xmin`: it changes with every write of the row, whoever makes it.
    #[diesel(sql_type = Nullable<Text>)]
    row_version: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    connection_status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    connection_email: Option<String>,
}

/// Settings as read, with the version a change must find to write.
struct VersionedSettings {
    view: SettingsView,
    version: Option<String>,
}

impl SettingsRow {
    fn into_versioned(self) -> Result<VersionedSettings, StorageError> {
        let connection = self
            .connection_status
            .as_deref()
            .map(ConnectionStatus::parse)
            .transpose()?
            .map(|status| ConnectionSummary {
                status,
                google_email: self.connection_email,
            });
        let config = match self.user_id {
            None => None,
            Some(user_id) => {
                let missing = |column: &str| StorageError::Corrupt(format!("null {column}"));
                Some(
                    ConfigRow {
                        user_id,
                        enabled: self.enabled.ok_or_else(|| missing("enabled"))?,
                        interval_hours: self
                            .interval_hours
                            .ok_or_else(|| missing("interval_hours"))?,
                        last_sync_at: self.last_sync_at,
                        next_sync_at: self.next_sync_at,
                        grid_slot_at: self.grid_slot_at,
                        consecutive_failures: self
                            .consecutive_failures
                            .ok_or_else(|| missing("consecutive_failures"))?,
                        paused_reason: self.paused_reason,
                        last_error: self.last_error,
                        created_at: self.created_at.ok_or_else(|| missing("created_at"))?,
                        updated_at: self.updated_at.ok_or_else(|| missing("updated_at"))?,
                    }
                    .into_domain()?,
                )
            }
        };
        Ok(VersionedSettings {
            view: SettingsView { config, connection },
            version: self.row_version,
        })
    }
}

/// One statement: the configuration (if any) and the connection's state (if any).
async fn read_settings(
    connection: &mut AsyncPgConnection,
    user: &UserId,
) -> Result<VersionedSettings, StorageError> {
    let row: SettingsRow = Prepared::new("SELECT ")
        .sql(SETTINGS_COLUMNS)
        .sql(" FROM (SELECT ")
        .bind::<Text, _>(user.as_str())
        .sql(
            "::text AS user_id) AS w
             LEFT JOIN (SELECT *, xmin::text AS row_version
                        FROM google_contacts_auto_sync_config) AS c ON c.user_id = w.user_id
             LEFT JOIN google_connections AS g ON g.user_id = w.user_id",
        )
        .get_result(connection)
        .await?;
    row.into_versioned()
}

/// One statement: writes `write` if the row is still at `version` (or, without a version, if
/// there is still no row), returning the settings as stored; `None` when another writer won.
async fn write_if_unchanged(
    connection: &mut AsyncPgConnection,
    write: &ConfigWrite<'_>,
    version: Option<&str>,
) -> Result<Option<VersionedSettings>, StorageError> {
    let statement = match version {
        Some(version) => Prepared::new(
            "WITH c AS (
                 UPDATE google_contacts_auto_sync_config
                 SET enabled = ",
        )
        .bind::<Bool, _>(write.enabled)
        .sql(", interval_hours = ")
        .bind::<Integer, _>(write.interval_hours)
        .sql(", last_sync_at = ")
        .bind::<Nullable<Timestamptz>, _>(write.last_sync_at)
        .sql(", next_sync_at = ")
        .bind::<Nullable<Timestamptz>, _>(write.next_sync_at)
        .sql(", grid_slot_at = ")
        .bind::<Nullable<Timestamptz>, _>(write.grid_slot_at)
        .sql(", consecutive_failures = ")
        .bind::<Integer, _>(write.consecutive_failures)
        .sql(", paused_reason = ")
        .bind::<Nullable<Text>, _>(write.paused_reason)
        .sql(", last_error = ")
        .bind::<Nullable<Text>, _>(write.last_error)
        .sql(", updated_at = ")
        .bind::<Timestamptz, _>(write.updated_at)
        .sql(" WHERE user_id = ")
        .bind::<Text, _>(write.user_id)
        .sql(" AND xmin = ")
        .bind::<Text, _>(version)
        .sql("::xid RETURNING *, xmin::text AS row_version\n             )"),
        None => Prepared::new(
            "WITH c AS (
                 INSERT INTO google_contacts_auto_sync_config
                     (user_id, enabled, interval_hours, last_sync_at, next_sync_at, grid_slot_at,
                      consecutive_failures, paused_reason, last_error, created_at, updated_at)
                 VALUES (",
        )
        .bind::<Text, _>(write.user_id)
        .sql(", ")
        .bind::<Bool, _>(write.enabled)
        .sql(", ")
        .bind::<Integer, _>(write.interval_hours)
        .sql(", ")
        .bind::<Nullable<Timestamptz>, _>(write.last_sync_at)
        .sql(", ")
        .bind::<Nullable<Timestamptz>, _>(write.next_sync_at)
        .sql(", ")
        .bind::<Nullable<Timestamptz>, _>(write.grid_slot_at)
        .sql(", ")
        .bind::<Integer, _>(write.consecutive_failures)
        .sql(", ")
        .bind::<Nullable<Text>, _>(write.paused_reason)
        .sql(", ")
        .bind::<Nullable<Text>, _>(write.last_error)
        .sql(", ")
        .bind::<Timestamptz, _>(write.created_at)
        .sql(", ")
        .bind::<Timestamptz, _>(write.updated_at)
        .sql(
            ")
                 ON CONFLICT (user_id) DO NOTHING
                 RETURNING *, xmin::text AS row_version
             )",
        ),
    };
    let row: Option<SettingsRow> = statement
        .sql(" SELECT ")
        .sql(SETTINGS_COLUMNS)
        .sql(" FROM c LEFT JOIN google_connections AS g ON g.user_id = c.user_id")
        .get_result(connection)
        .await
        .optional()?;
    row.map(SettingsRow::into_versioned).transpose()
}

impl PgStore {
    pub(crate) async fn settings_view_row(
        &self,
        user: &UserId,
    ) -> Result<SettingsView, StorageError> {
        let mut connection = self.unit().await?;
        let settings = read_settings(&mut connection, user).await?;
        connection.commit().await?;
        Ok(settings.view)
    }

    /// Reads, applies `change`, and writes by compare-and-set: two statements when nobody else
    /// wrote the row in between, one when `change` stores nothing. When another writer won the
    /// race, the change is made again under the row lock (`modify_locked`), in one transaction.
    pub(crate) async fn change_settings_row<F>(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
        change: F,
    ) -> Result<SettingsView, StorageError>
    where
        F: Fn(Option<&AutoSyncConfig>) -> Option<AutoSyncConfig> + Send + Sync,
    {
        let mut connection = self.unit().await?;
        let current = read_settings(&mut connection, user).await?;
        let Some(next) = change(current.view.config.as_ref()) else {
            connection.commit().await?;
            return Ok(current.view);
        };
        if current.view.config.as_ref() == Some(&next) {
            connection.commit().await?;
            return Ok(current.view);
        }
        let write = ConfigWrite::new(user, &next, now);
        let written =
            write_if_unchanged(&mut connection, &write, current.version.as_deref()).await?;
        connection.commit().await?;
        if let Some(written) = written {
            return Ok(written.view);
        }
        let mut transaction = self.transaction().await?;
        let config = modify_locked(&mut transaction, user, now, &change).await?;
        let settings = read_settings(&mut transaction, user).await?;
        transaction.commit().await?;
        Ok(SettingsView {
            config,
            connection: settings.view.connection,
        })
    }
}
