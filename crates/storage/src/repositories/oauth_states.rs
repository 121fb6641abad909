//! `OAuthStateRepository` on PostgreSQL: pending consents, single use, with the PKCE verifier
//! sealed like the Google tokens.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use pulse_domain::UserId;
use pulse_domain::ports::{
    MAX_PENDING_CONSENTS_PER_WORKSPACE, OAuthStateRepository, PendingAuthorization, StoreError,
};

use crate::crypto::SealedSecret;
use crate::error::StorageError;
use crate::schema::oauth_pending_authorizations as pending;
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

/// The associated data that binds a sealed verifier to its state.
pub(crate) fn verifier_context(state: &str) -> String {
    format!("oauth_pending_authorizations.pkce_verifier:{state}")
}

impl PgStore {
    async fn save_pending_row(&self, consent: &PendingAuthorization) -> Result<(), StorageError> {
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
                pending::expires_at.lt(diesel::dsl::now).or(pending::user_id
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

impl OAuthStateRepository for PgStore {
    async fn save_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError> {
        Ok(self.save_pending_row(pending).await?)
    }

    async fn take_pending(
        &self,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingAuthorization>, StoreError> {
        Ok(self.take_pending_row(state, now).await?)
    }
}
