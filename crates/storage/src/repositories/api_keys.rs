//! `ApiKeyRepository` on PostgreSQL: keys stored only as lower-case hex SHA-256 hashes.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz};
use diesel_async::RunQueryDsl;
use pulse_domain::UserId;
use pulse_domain::ports::{ApiKeyRecord, ApiKeyRepository, ApiKeyScope, StoreError};
use uuid::Uuid;

use crate::error::StorageError;
use crate::schema::api_keys as keys;
use crate::store::PgStore;

const ADMIN_SCOPE: &str = "admin";
const WORKSPACE_SCOPE: &str = "workspace";

/// How often `last_used_at` is written for a key in steady use: at most once a minute, so
/// authenticating is a read, not a write, on almost every request.
const LAST_USED_RESOLUTION_SECONDS: i32 = 60;

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

    async fn authenticate_row(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKeyRecord>, StorageError> {
        let mut connection = self.unit().await?;
        let statement = format!(
            "WITH found AS (
                 SELECT * FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
             ), touched AS (
                 UPDATE api_keys SET last_used_at = $2
                 FROM found
                 WHERE api_keys.id = found.id
                   AND (found.last_used_at IS NULL
                        OR found.last_used_at < $2 - make_interval(secs => {LAST_USED_RESOLUTION_SECONDS}))
                 RETURNING api_keys.id
             )
             SELECT found.id, found.scope, found.workspace_id, found.name, found.created_at,
                    CASE WHEN EXISTS (SELECT 1 FROM touched) THEN $2 ELSE found.last_used_at END
                        AS last_used_at,
                    found.revoked_at
             FROM found"
        );
        let row = diesel::sql_query(statement)
            .bind::<Text, _>(normalized_hash(key_hash))
            .bind::<Timestamptz, _>(now)
            .get_result::<KeyRow>(&mut *connection)
            .await
            .optional()?;
        connection.commit().await?;
        row.map(KeyRow::into_domain).transpose()
    }

    async fn list_key_rows(&self) -> Result<Vec<ApiKeyRecord>, StorageError> {
        let mut connection = self.unit().await?;
        let rows = keys::table
            .order((keys::created_at.desc(), keys::id.desc()))
            .select(KeyRow::as_select())
            .load(&mut *connection)
            .await?;
        connection.commit().await?;
        rows.into_iter().map(KeyRow::into_domain).collect()
    }

    async fn revoke_key_row(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let mut connection = self.unit().await?;
        let revoked = diesel::update(keys::table)
            .filter(keys::id.eq(id))
            .filter(keys::revoked_at.is_null())
            .set(keys::revoked_at.eq(now))
            .execute(&mut *connection)
            .await?;
        connection.commit().await?;
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
