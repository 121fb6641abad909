//! `ConnectionRepository` on PostgreSQL: Google connections with the refresh and sync tokens
//! sealed by the key ring (plaintext tokens exist only in memory), and the generation every
//! connect and disconnect moves on.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_domain::ports::{ConnectionRepository, StoreError};
use pulse_domain::{
    ConnectionStatus, ConnectionSummary, GoogleConnection, NewConnection, Secret, UserId,
};

use crate::crypto::{KeyRing, SealedSecret};
use crate::error::StorageError;
use crate::schema::google_connections as connections;
use crate::store::PgStore;

/// A row of `google_connections`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = connections, check_for_backend(diesel::pg::Pg))]
struct ConnectionRow {
    user_id: String,
    google_account_id: Option<String>,
    google_email: Option<String>,
    refresh_token_ciphertext: Option<Vec<u8>>,
    refresh_token_nonce: Option<Vec<u8>>,
    refresh_token_key_id: Option<String>,
    access_token_expires_at: Option<DateTime<Utc>>,
    scopes: Vec<String>,
    sync_token_ciphertext: Option<Vec<u8>>,
    sync_token_nonce: Option<Vec<u8>>,
    sync_token_key_id: Option<String>,
    sync_token_issued_at: Option<DateTime<Utc>>,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    generation: i64,
}

/// When the user connects another Google account than the stored one, the previous account's
/// profiles are marked deleted, in the transaction that stores the new grant (whose first run
/// is a full listing, the sync token being cleared): they never mix with the new account's.
/// Each takes the next change number. The transaction's first statement takes the workspace's
/// profile lock before the connection row's lock (the lock order of every writer of profiles: see
/// `lock_job` in page_write.rs) and before any number, and holds it to the commit.
const RETIRE_OTHER_ACCOUNTS_PROFILES: &str = "
    WITH previous AS (
        SELECT g.google_account_id
        FROM (SELECT pulse_lock_profiles_of($1) AS locked) AS workspace, google_connections g
        WHERE workspace.locked AND g.user_id = $1
        FOR UPDATE OF g)
    UPDATE relationship_profiles SET deleted_at = $3, updated_at = $3,
        change_seq = nextval('relationship_profile_change_seq'), last_change = 'deleted'
    WHERE user_id = $1 AND source = 'google' AND deleted_at IS NULL
      AND EXISTS (SELECT 1 FROM previous WHERE previous.google_account_id IS DISTINCT FROM $2)";

/// The associated data that binds a sealed refresh token to its column and user.
pub(crate) fn refresh_token_context(user: &UserId) -> String {
    format!("google_connections.refresh_token:{user}")
}

/// The associated data that binds a sealed sync token to its column and user.
pub(crate) fn sync_token_context(user: &UserId) -> String {
    format!("google_connections.sync_token:{user}")
}

fn sealed(
    ciphertext: Option<Vec<u8>>,
    nonce: Option<Vec<u8>>,
    key_id: Option<String>,
) -> Option<SealedSecret> {
    Some(SealedSecret {
        ciphertext: ciphertext?,
        nonce: nonce?,
        key_id: key_id?,
    })
}

impl ConnectionRow {
    fn sealed_refresh_token(&self) -> Option<SealedSecret> {
        sealed(
            self.refresh_token_ciphertext.clone(),
            self.refresh_token_nonce.clone(),
            self.refresh_token_key_id.clone(),
        )
    }

    fn sealed_sync_token(&self) -> Option<SealedSecret> {
        sealed(
            self.sync_token_ciphertext.clone(),
            self.sync_token_nonce.clone(),
            self.sync_token_key_id.clone(),
        )
    }

    /// The domain's view, with both tokens opened; a wrong key is an error.
    fn open(self, keys: &KeyRing) -> Result<GoogleConnection, StorageError> {
        let user_id = UserId::parse(&self.user_id)?;
        let refresh_token = self
            .sealed_refresh_token()
            .map(|token| keys.open(&token, &refresh_token_context(&user_id)))
            .transpose()?;
        let sync_token = self
            .sealed_sync_token()
            .map(|token| keys.open(&token, &sync_token_context(&user_id)))
            .transpose()?;
        self.into_domain(user_id, refresh_token, sync_token)
    }

    fn into_domain(
        self,
        user_id: UserId,
        refresh_token: Option<Secret>,
        sync_token: Option<Secret>,
    ) -> Result<GoogleConnection, StorageError> {
        Ok(GoogleConnection {
            user_id,
            google_account_id: self.google_account_id,
            google_email: self.google_email,
            refresh_token,
            access_token_expires_at: self.access_token_expires_at,
            scopes: self.scopes,
            sync_token,
            sync_token_issued_at: self.sync_token_issued_at,
            status: ConnectionStatus::parse(&self.status)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            generation: self.generation,
        })
    }
}

/// The values written when a user (re)connects Google.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = connections, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
struct ConnectionWrite<'a> {
    user_id: &'a str,
    google_account_id: Option<&'a str>,
    google_email: Option<&'a str>,
    refresh_token_ciphertext: Option<&'a [u8]>,
    refresh_token_nonce: Option<&'a [u8]>,
    refresh_token_key_id: Option<&'a str>,
    access_token_expires_at: Option<DateTime<Utc>>,
    scopes: &'a [String],
    sync_token_ciphertext: Option<&'a [u8]>,
    sync_token_nonce: Option<&'a [u8]>,
    sync_token_key_id: Option<&'a str>,
    sync_token_issued_at: Option<DateTime<Utc>>,
    status: &'static str,
    updated_at: DateTime<Utc>,
}

impl PgStore {
    async fn find_connection_row(
        &self,
        user: &UserId,
    ) -> Result<Option<GoogleConnection>, StorageError> {
        let mut connection = self.unit().await?;
        let row = connections::table
            .filter(connections::user_id.eq(user.as_str()))
            .select(ConnectionRow::as_select())
            .first(&mut *connection)
            .await
            .optional()?;
        connection.commit().await?;
        row.map(|row| row.open(self.keys())).transpose()
    }

    async fn connection_status_row(
        &self,
        user: &UserId,
    ) -> Result<Option<ConnectionSummary>, StorageError> {
        let mut connection = self.unit().await?;
        let row: Option<(String, Option<String>)> = connections::table
            .filter(connections::user_id.eq(user.as_str()))
            .select((connections::status, connections::google_email))
            .first(&mut *connection)
            .await
            .optional()?;
        connection.commit().await?;
        row.map(|(status, google_email)| {
            Ok(ConnectionSummary {
                status: ConnectionStatus::parse(&status)?,
                google_email,
            })
        })
        .transpose()
    }

    async fn save_connection_row(
        &self,
        new: &NewConnection,
        now: DateTime<Utc>,
    ) -> Result<GoogleConnection, StorageError> {
        let refresh = self
            .keys()
            .seal(&new.refresh_token, &refresh_token_context(&new.user_id))?;
        let write = ConnectionWrite {
            user_id: new.user_id.as_str(),
            google_account_id: new.google_account_id.as_deref(),
            google_email: new.google_email.as_deref(),
            refresh_token_ciphertext: Some(&refresh.ciphertext),
            refresh_token_nonce: Some(&refresh.nonce),
            refresh_token_key_id: Some(&refresh.key_id),
            access_token_expires_at: new.access_token_expires_at,
            scopes: &new.scopes,
            sync_token_ciphertext: None,
            sync_token_nonce: None,
            sync_token_key_id: None,
            sync_token_issued_at: None,
            status: ConnectionStatus::Connected.as_str(),
            updated_at: now,
        };
        let mut connection = self.transaction().await?;
        diesel::sql_query(RETIRE_OTHER_ACCOUNTS_PROFILES)
            .bind::<Text, _>(new.user_id.as_str())
            .bind::<Nullable<Text>, _>(new.google_account_id.as_deref())
            .bind::<Timestamptz, _>(now)
            .execute(&mut *connection)
            .await?;
        let row = diesel::insert_into(connections::table)
            .values((&write, connections::created_at.eq(now)))
            .on_conflict(connections::user_id)
            .do_update()
            .set((
                &write,
                connections::generation.eq(connections::generation + 1),
            ))
            .returning(ConnectionRow::as_returning())
            .get_result(&mut *connection)
            .await?;
        connection.commit().await?;
        row.into_domain(new.user_id.clone(), Some(new.refresh_token.clone()), None)
    }

    /// Marks a connected grant `reauth_required` outside a run, so tests can start from that
    /// state (a run's end marks it itself, fenced on the grant it loaded).
    #[cfg(feature = "testing")]
    pub async fn mark_reauth_required(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let mut connection = self.unit().await?;
        diesel::update(connections::table)
            .filter(connections::user_id.eq(user.as_str()))
            .filter(connections::status.eq(ConnectionStatus::Connected.as_str()))
            .set((
                connections::status.eq(ConnectionStatus::ReauthRequired.as_str()),
                connections::updated_at.eq(now),
            ))
            .execute(&mut *connection)
            .await?;
        connection.commit().await
    }

    async fn forget_connection_row(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> Result<Option<GoogleConnection>, StorageError> {
        let keys = self.keys().clone();
        let mut transaction = self.transaction().await?;
        let forgotten = forget_locked(&mut transaction, &keys, user, now).await?;
        transaction.commit().await?;
        Ok(forgotten)
    }
}

/// Clears the tokens of a locked row and returns the connection as it was.
async fn forget_locked(
    connection: &mut AsyncPgConnection,
    keys: &KeyRing,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<Option<GoogleConnection>, StorageError> {
    let Some(row) = connections::table
        .filter(connections::user_id.eq(user.as_str()))
        .select(ConnectionRow::as_select())
        .for_update()
        .first(connection)
        .await
        .optional()?
    else {
        return Ok(None);
    };
    let before = match row.clone().open(keys) {
        Ok(before) => before,
        Err(error) => {
            // Forgetting must work even when a token cannot be opened (a lost key): the
            // caller then has no token to revoke at Google.
            tracing::warn!(user = %user, %error, "forgetting a connection whose tokens cannot be opened");
            row.into_domain(user.clone(), None, None)?
        }
    };
    let no_bytes: Option<Vec<u8>> = None;
    let no_text: Option<String> = None;
    diesel::update(connections::table)
        .filter(connections::user_id.eq(user.as_str()))
        .set((
            connections::refresh_token_ciphertext.eq(no_bytes.clone()),
            connections::refresh_token_nonce.eq(no_bytes.clone()),
            connections::refresh_token_key_id.eq(no_text.clone()),
            connections::sync_token_ciphertext.eq(no_bytes.clone()),
            connections::sync_token_nonce.eq(no_bytes),
            connections::sync_token_key_id.eq(no_text),
            connections::sync_token_issued_at.eq(None::<DateTime<Utc>>),
            connections::status.eq(ConnectionStatus::Revoked.as_str()),
            connections::updated_at.eq(now),
            connections::generation.eq(connections::generation + 1),
        ))
        .execute(connection)
        .await?;
    Ok(Some(before))
}

impl ConnectionRepository for PgStore {
    async fn find_connection(&self, user: &UserId) -> Result<Option<GoogleConnection>, StoreError> {
        Ok(self.find_connection_row(user).await?)
    }

    async fn connection_status(
        &self,
        user: &UserId,
    ) -> Result<Option<ConnectionSummary>, StoreError> {
        Ok(self.connection_status_row(user).await?)
    }

    async fn save_connection(
        &self,
        connection: &NewConnection,
        now: DateTime<Utc>,
    ) -> Result<GoogleConnection, StoreError> {
        Ok(self.save_connection_row(connection, now).await?)
    }

    async fn forget_connection(
        &self,
        user: &UserId,
        now: DateTime<Utc>,
    ) -> Result<Option<GoogleConnection>, StoreError> {
        Ok(self.forget_connection_row(user, now).await?)
    }
}
