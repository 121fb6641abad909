//! `OAuthStateRepository` on PostgreSQL: pending consents, single use, with the PKCE verifier
//! sealed like the Google tokens; and grants held for confirmation, single use, with the refresh
//! token sealed the same way.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use pulse_domain::ports::{
    HeldGrant, MAX_PENDING_CONSENTS_PER_WORKSPACE, OAuthStateRepository, PendingAuthorization,
    StoreError,
};
use pulse_domain::{NewConnection, UserId};

use crate::crypto::SealedSecret;
use crate::error::StorageError;
use crate::schema::oauth_pending_authorizations as pending;
use crate::schema::oauth_pending_confirmations as held;
use crate::store::PgStore;

/// A row of `oauth_pending_authorizations`.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = pending, check_for_backend(diesel::pg::Pg))]
struct PendingRow {
    state: String,
    user_id: String,
    pkce_verifier_ciphertext: Vec<u8>,
    pkce_verifier_nonce: Vec<u8>,
    pkce_verifier_key_id: String,
    return_to: Option<String>,
    expires_at: DateTime<Utc>,
    browser_binding_hash: Option<String>,
}

/// A row of `oauth_pending_confirmations`.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = held, check_for_backend(diesel::pg::Pg))]
struct HeldRow {
    token_hash: String,
    user_id: String,
    google_email: Option<String>,
    refresh_token_ciphertext: Vec<u8>,
    refresh_token_nonce: Vec<u8>,
    refresh_token_key_id: String,
    access_token_expires_at: Option<DateTime<Utc>>,
    scopes: Vec<String>,
    return_to: Option<String>,
    expires_at: DateTime<Utc>,
}

/// The associated data that binds a held grant's sealed refresh token to its confirmation token.
pub(crate) fn held_refresh_token_context(token_hash: &str) -> String {
    format!("oauth_pending_confirmations.refresh_token:{token_hash}")
}

/// The associated data that binds a sealed verifier to its state.
pub(crate) fn verifier_context(state: &str) -> String {
    format!("oauth_pending_authorizations.pkce_verifier:{state}")
}

impl PgStore {
    async fn save_pending_row(
        &self,
        consent: &PendingAuthorization,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let verifier = self
            .keys()
            .seal(&consent.pkce_verifier, &verifier_context(&consent.state))?;
        let mut connection = self.transaction().await?;
        // Consents nobody came back for are purged as new ones arrive (indexed by expiry), and a
        // workspace keeps only its newest ones, with room for this one.
        let kept = diesel::alias!(pending as kept);
        let newest_kept = kept
            .filter(kept.field(pending::user_id).eq(consent.user_id.as_str()))
            .order((
                kept.field(pending::expires_at).desc(),
                kept.field(pending::state).desc(),
            ))
            .limit(MAX_PENDING_CONSENTS_PER_WORKSPACE - 1)
            .select(kept.field(pending::state));
        diesel::delete(pending::table)
            .filter(
                pending::expires_at.lt(now).or(pending::user_id
                    .eq(consent.user_id.as_str())
                    .and(pending::state.ne_all(newest_kept))),
            )
            .execute(&mut *connection)
            .await?;
        diesel::insert_into(pending::table)
            .values((
                pending::state.eq(&consent.state),
                pending::user_id.eq(consent.user_id.as_str()),
                pending::pkce_verifier_ciphertext.eq(&verifier.ciphertext),
                pending::pkce_verifier_nonce.eq(&verifier.nonce),
                pending::pkce_verifier_key_id.eq(&verifier.key_id),
                pending::return_to.eq(consent.return_to.as_deref()),
                pending::expires_at.eq(consent.expires_at),
                pending::browser_binding_hash.eq(consent.browser_binding_hash.as_deref()),
            ))
            .execute(&mut *connection)
            .await?;
        connection.commit().await
    }

    async fn take_pending_row(
        &self,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingAuthorization>, StorageError> {
        let mut connection = self.unit().await?;
        // Deleting is what makes a state single use: of two concurrent callbacks, one gets it.
        let taken = diesel::delete(pending::table)
            .filter(pending::state.eq(state))
            .returning(PendingRow::as_returning())
            .get_result(&mut *connection)
            .await
            .optional()?;
        connection.commit().await?;
        let Some(row) = taken else {
            return Ok(None);
        };
        if row.expires_at <= now {
            return Ok(None);
        }
        let sealed = SealedSecret {
            ciphertext: row.pkce_verifier_ciphertext,
            nonce: row.pkce_verifier_nonce,
            key_id: row.pkce_verifier_key_id,
        };
        Ok(Some(PendingAuthorization {
            pkce_verifier: self.keys().open(&sealed, &verifier_context(&row.state))?,
            user_id: UserId::parse(&row.user_id)?,
            state: row.state,
            return_to: row.return_to,
            expires_at: row.expires_at,
            browser_binding_hash: row.browser_binding_hash,
        }))
    }
}

impl PgStore {
    async fn hold_grant_row(
        &self,
        token_hash: &str,
        grant: &HeldGrant,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let connection_to_be = &grant.connection;
        let refresh_token = self.keys().seal(
            &connection_to_be.refresh_token,
            &held_refresh_token_context(token_hash),
        )?;
        let mut connection = self.transaction().await?;
        // Grants nobody confirmed are purged as new ones arrive (indexed by expiry).
        diesel::delete(held::table)
            .filter(held::expires_at.lt(now))
            .execute(&mut *connection)
            .await?;
        diesel::insert_into(held::table)
            .values((
                held::token_hash.eq(token_hash),
                held::user_id.eq(connection_to_be.user_id.as_str()),
                held::google_email.eq(connection_to_be.google_email.as_deref()),
                held::refresh_token_ciphertext.eq(&refresh_token.ciphertext),
                held::refresh_token_nonce.eq(&refresh_token.nonce),
                held::refresh_token_key_id.eq(&refresh_token.key_id),
                held::access_token_expires_at.eq(connection_to_be.access_token_expires_at),
                held::scopes.eq(&connection_to_be.scopes),
                held::return_to.eq(grant.return_to.as_deref()),
                held::expires_at.eq(grant.expires_at),
            ))
            .execute(&mut *connection)
            .await?;
        connection.commit().await
    }

    async fn take_held_grant_row(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<HeldGrant>, StorageError> {
        let mut connection = self.unit().await?;
        // Deleting is what makes a token single use: of two concurrent confirmations, one gets it.
        let taken = diesel::delete(held::table)
            .filter(held::token_hash.eq(token_hash))
            .returning(HeldRow::as_returning())
            .get_result(&mut *connection)
            .await
            .optional()?;
        connection.commit().await?;
        let Some(row) = taken else {
            return Ok(None);
        };
        if row.expires_at <= now {
            return Ok(None);
        }
        let sealed = SealedSecret {
            ciphertext: row.refresh_token_ciphertext,
            nonce: row.refresh_token_nonce,
            key_id: row.refresh_token_key_id,
        };
        Ok(Some(HeldGrant {
            connection: NewConnection {
                refresh_token: self
                    .keys()
                    .open(&sealed, &held_refresh_token_context(&row.token_hash))?,
                user_id: UserId::parse(&row.user_id)?,
                google_account_id: None,
                google_email: row.google_email,
                access_token_expires_at: row.access_token_expires_at,
                scopes: row.scopes,
            },
            return_to: row.return_to,
            expires_at: row.expires_at,
        }))
    }
}

impl OAuthStateRepository for PgStore {
    async fn save_pending(
        &self,
        pending: &PendingAuthorization,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Ok(self.save_pending_row(pending, now).await?)
    }

    async fn take_pending(
        &self,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingAuthorization>, StoreError> {
        Ok(self.take_pending_row(state, now).await?)
    }

    async fn hold_grant(
        &self,
        token_hash: &str,
        held: &HeldGrant,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Ok(self.hold_grant_row(token_hash, held, now).await?)
    }

    async fn take_held_grant(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<HeldGrant>, StoreError> {
        Ok(self.take_held_grant_row(token_hash, now).await?)
    }
}
