//! `ApiKeyRepository` on PostgreSQL: keys stored only as lower-case hex SHA-256 hashes, and
//! authenticated from the process's [`KeyCache`] when it knows the key.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_domain::UserId;
use pulse_domain::ports::{ApiKeyRecord, ApiKeyRepository, ApiKeyScope, StoreError};
use uuid::Uuid;

use crate::error::StorageError;
use crate::prepared::Prepared;
use crate::schema::api_keys as keys;
use crate::store::PgStore;

const ADMIN_SCOPE: &str = "admin";
const WORKSPACE_SCOPE: &str = "workspace";

/// A row of `api_keys`, without its hash.
#[derive(Debug, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = keys, check_for_backend(diesel::pg::Pg))]
struct KeyRow {
    id: Uuid,
    scope: String,
    workspace_id: Option<String>,
    name: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

/// A key found by its hash, with the revocation epoch read in the same statement.
#[derive(Debug, QueryableByName)]
struct FoundKey {
    #[diesel(embed)]
    key: KeyRow,
    #[diesel(sql_type = BigInt)]
    revocation_epoch: i64,
}

/// The revocation epoch.
#[derive(Debug, QueryableByName)]
struct Epoch {
    #[diesel(sql_type = BigInt)]
    epoch: i64,
}

impl KeyRow {
    fn into_domain(self) -> Result<ApiKeyRecord, StorageError> {
        let scope = match (self.scope.as_str(), self.workspace_id) {
            (ADMIN_SCOPE, None) => ApiKeyScope::Admin,
            (WORKSPACE_SCOPE, Some(workspace)) => {
                ApiKeyScope::Workspace(UserId::parse(&workspace)?)
            }
            (other, _) => {
                return Err(StorageError::Corrupt(format!("api key scope '{other}'")));
            }
        };
        Ok(ApiKeyRecord {
            id: self.id,
            name: self.name,
            scope,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// Hex is case-insensitive; the table keeps it lower-case.
fn normalized_hash(key_hash: &str) -> String {
    key_hash.trim().to_ascii_lowercase()
}

/// Writes use marks, one statement for the batch.
async fn write_marks(
    connection: &mut AsyncPgConnection,
    marks: &[(Uuid, DateTime<Utc>)],
) -> Result<(), StorageError> {
    let (ids, times): (Vec<Uuid>, Vec<DateTime<Utc>>) = marks.iter().copied().unzip();
    Prepared::new(
        "UPDATE api_keys SET last_used_at = mark.used_at
         FROM unnest(",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
    .sql("::uuid[], ")
    .bind::<Array<Timestamptz>, _>(times)
    .sql(
        "::timestamptz[]) AS mark(id, used_at)
         WHERE api_keys.id = mark.id
           AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < mark.used_at)",
    )
    .execute(connection)
    .await?;
    Ok(())
}

impl PgStore {
    async fn create_key_row(
        &self,
        key_hash: &str,
        scope: &ApiKeyScope,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, StorageError> {
        let (scope, workspace) = match scope {
            ApiKeyScope::Admin => (ADMIN_SCOPE, None),
            ApiKeyScope::Workspace(user) => (WORKSPACE_SCOPE, Some(user.as_str())),
        };
        let mut connection = self.unit().await?;
        let row: KeyRow = diesel::insert_into(keys::table)
            .values((
                keys::key_hash.eq(normalized_hash(key_hash)),
                keys::scope.eq(scope),
                keys::workspace_id.eq(workspace),
                keys::name.eq(name),
                keys::created_at.eq(now),
            ))
            .returning(KeyRow::as_returning())
            .get_result(&mut *connection)
            .await?;
        connection.commit().await?;
        row.into_domain()
    }

    /// From the cache when it knows the key and its knowledge of revocations is current
    /// (no statement at all); else one read that finds the key with the revocation epoch it is
    /// admitted to the cache with. Uses are marked in the cache and written in batches.
    async fn authenticate_row(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKeyRecord>, StorageError> {
        let key_hash = normalized_hash(key_hash);
        let cache = self.key_cache();
        if !cache.is_current() {
            self.refresh_key_cache().await?;
        }
        if let Some(record) = cache.lookup(&key_hash, now) {
            return Ok(Some(record));
        }
        let ticket = cache.ticket();
        let mut connection = self.unit().await?;
        let found = Prepared::new(
            "SELECT k.id, k.scope, k.workspace_id, k.name, k.created_at, k.last_used_at,
                    k.revoked_at, (SELECT epoch FROM api_key_revocations) AS revocation_epoch
             FROM api_keys AS k WHERE k.key_hash = ",
        )
        .bind::<Text, _>(key_hash.as_str())
        .sql(" AND k.revoked_at IS NULL")
        .get_result::<FoundKey>(&mut *connection)
        .await
        .optional()?;
        connection.commit().await?;
        let Some(found) = found else {
            return Ok(None);
        };
        let mut record = found.key.into_domain()?;
        cache.mark_use(&mut record, now);
        cache.admit(&key_hash, &record, found.revocation_epoch, ticket);
        Ok(Some(record))
    }

    /// Reads the revocation epoch (a changed epoch empties the cache), unless another caller
    /// just did; the pending use marks are then written in the background, off the request.
    async fn refresh_key_cache(&self) -> Result<(), StorageError> {
        let cache = self.key_cache();
        let _one_at_a_time = cache.refresh.lock().await;
        if cache.is_current() {
            return Ok(());
        }
        let ticket = cache.ticket();
        let mut connection = self.unit().await?;
        let row: Epoch = Prepared::new("SELECT epoch FROM api_key_revocations")
            .get_result(&mut *connection)
            .await?;
        connection.commit().await?;
        cache.observe_epoch(row.epoch, ticket);
        let marks = cache.take_uses();
        if !marks.is_empty() {
            let store = self.clone();
            tokio::spawn(async move { store.write_use_marks(marks).await });
        }
        Ok(())
    }

    /// Writes use marks in one statement (a mark never moves `last_used_at` back); marks whose
    /// write failed go back to the cache for the next batch.
    async fn write_use_marks(&self, marks: Vec<(Uuid, DateTime<Utc>)>) {
        let written = async {
            let mut connection = self.unit().await?;
            write_marks(&mut connection, &marks).await?;
            connection.commit().await
        }
        .await;
        if let Err(error) = written {
            tracing::warn!(%error, marks = marks.len(), "could not record API key uses; will retry");
            self.key_cache().restore_uses(marks);
        }
    }

    async fn list_key_rows(&self) -> Result<Vec<ApiKeyRecord>, StorageError> {
        // The uses this process has seen are written first, so the list shows them.
        self.write_use_marks(self.key_cache().take_uses()).await;
        let mut connection = self.unit().await?;
        let rows = keys::table
            .order((keys::created_at.desc(), keys::id.desc()))
            .select(KeyRow::as_select())
            .load(&mut *connection)
            .await?;
        connection.commit().await?;
        rows.into_iter().map(KeyRow::into_domain).collect()
    }

    /// Revokes the key; the trigger on `api_keys` bumps the revocation epoch in the same
    /// transaction (for the other processes), and this process's cache forgets every key at once.
    async fn revoke_key_row(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let mut connection = self.unit().await?;
        let revoked = diesel::update(keys::table)
            .filter(keys::id.eq(id))
            .filter(keys::revoked_at.is_null())
            .set(keys::revoked_at.eq(now))
            .execute(&mut *connection)
            .await?;
        connection.commit().await?;
        self.key_cache().forget_all();
        Ok(revoked == 1)
    }
}

impl ApiKeyRepository for PgStore {
    async fn create_key(
        &self,
        key_hash: &str,
        scope: &ApiKeyScope,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ApiKeyRecord, StoreError> {
        Ok(self.create_key_row(key_hash, scope, name, now).await?)
    }

    async fn authenticate(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        Ok(self.authenticate_row(key_hash, now).await?)
    }

    async fn list_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        Ok(self.list_key_rows().await?)
    }

    async fn revoke_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(self.revoke_key_row(id, now).await?)
    }
}
