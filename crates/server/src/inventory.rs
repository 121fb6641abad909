//! Read-only questions the operator's commands and start-up logs ask of the whole database, which
//! no repository port answers: how many users are due, which workspaces exist, a connection's
//! state without opening its secrets, and which keys sealed the stored grants.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use pulse_domain::UserId;
use pulse_storage::{PgStore, StorageError};

/// Active configs whose sync is due and that have no job queued or running: what the next due
/// scan will enqueue.
const COUNT_DUE: &str = "
    SELECT count(*) AS count
    FROM google_contacts_auto_sync_config c
    WHERE c.enabled AND c.paused_reason IS NULL AND c.next_sync_at <= $1
      AND NOT EXISTS (
          SELECT 1 FROM google_contacts_sync_jobs j
          WHERE j.user_id = c.user_id AND j.status IN ('queued', 'running'))";

/// Every workspace with settings or a Google connection.
const WORKSPACES: &str = "
    SELECT user_id AS value FROM google_contacts_auto_sync_config
    UNION
    SELECT user_id AS value FROM google_connections
    ORDER BY value
    LIMIT $1";

/// A workspace's connection state.
const CONNECTION_STATUS: &str = "SELECT status AS value FROM google_connections WHERE user_id = $1";

/// The keys that sealed the refresh tokens of grants still in use, with how many each sealed.
const SEALING_KEYS: &str = "
    SELECT refresh_token_key_id AS value, count(*) AS count
    FROM google_connections
    WHERE refresh_token_key_id IS NOT NULL AND status <> 'revoked'
    GROUP BY refresh_token_key_id
    ORDER BY refresh_token_key_id";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct ValueCount {
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// How many users the next due scan will enqueue, as of `now`.
pub async fn count_due(store: &PgStore, now: DateTime<Utc>) -> Result<i64, StorageError> {
    let mut connection = store.unit().await?;
    let row: Count = diesel::sql_query(COUNT_DUE)
        .bind::<Timestamptz, _>(now)
        .get_result(&mut *connection)
        .await?;
    connection.commit().await?;
    Ok(row.count)
}

/// Up to `limit` workspaces that have settings or a connection, by id.
pub async fn workspaces(store: &PgStore, limit: i64) -> Result<Vec<UserId>, StorageError> {
    let mut connection = store.unit().await?;
    let rows: Vec<Value> = diesel::sql_query(WORKSPACES)
        .bind::<BigInt, _>(limit)
        .load(&mut *connection)
        .await?;
    connection.commit().await?;
    rows.into_iter()
        .map(|row| UserId::parse(&row.value).map_err(StorageError::from))
        .collect()
}

/// The stored state of a workspace's Google connection (`connected`, `reauth_required`,
/// `revoked`), or `None` when it never connected; no secret is opened.
pub async fn connection_status(
    store: &PgStore,
    user: &UserId,
) -> Result<Option<String>, StorageError> {
    let mut connection = store.unit().await?;
    let rows: Vec<Value> = diesel::sql_query(CONNECTION_STATUS)
        .bind::<Text, _>(user.as_str())
        .load(&mut *connection)
        .await?;
    connection.commit().await?;
    Ok(rows.into_iter().next().map(|row| row.value))
}

/// The ids of the keys that sealed the grants in use, each with how many grants it sealed.
pub async fn sealing_keys(store: &PgStore) -> Result<Vec<(String, i64)>, StorageError> {
    let mut connection = store.unit().await?;
    let rows: Vec<ValueCount> = diesel::sql_query(SEALING_KEYS)
        .load(&mut *connection)
        .await?;
    connection.commit().await?;
    Ok(rows.into_iter().map(|row| (row.value, row.count)).collect())
}
