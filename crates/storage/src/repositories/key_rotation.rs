//! Key rotation: re-sealing every stored secret (Google refresh and sync tokens, pending PKCE
//! verifiers, refresh tokens of grants held for confirmation, webhook signing secrets) with the ring's current key, a batch per transaction, and counting the secrets each
//! key id still seals.
//!
//! A batch locks its rows with `FOR UPDATE SKIP LOCKED`: a running server's write to one of them
//! waits for the batch (milliseconds) and a row a server holds is left for the next pass, so it is
//! safe beside running servers and resumable: every pass picks whatever older keys still seal.

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bytea, Text};
use diesel_async::RunQueryDsl;
use pulse_domain::UserId;

use crate::crypto::SealedSecret;
use crate::error::StorageError;
use crate::repositories::connections::{refresh_token_context, sync_token_context};
use crate::repositories::oauth_states::{held_refresh_token_context, verifier_context};
use crate::repositories::webhooks::webhook_secret_context;
use crate::store::PgStore;

/// One kind of sealed secret: where it is stored and the associated data that binds it.
struct SealedColumn {
    table: &'static str,
    owner: &'static str,
    ciphertext: &'static str,
    nonce: &'static str,
    key_id: &'static str,
    context: fn(&str) -> Result<String, StorageError>,
}

/// Every sealed secret the database holds.
const SEALED_COLUMNS: [SealedColumn; 5] = [
    SealedColumn {
        table: "google_connections",
        owner: "user_id",
        ciphertext: "refresh_token_ciphertext",
        nonce: "refresh_token_nonce",
        key_id: "refresh_token_key_id",
        context: |owner| Ok(refresh_token_context(&user(owner)?)),
    },
    SealedColumn {
        table: "google_connections",
        owner: "user_id",
        ciphertext: "sync_token_ciphertext",
        nonce: "sync_token_nonce",
        key_id: "sync_token_key_id",
        context: |owner| Ok(sync_token_context(&user(owner)?)),
    },
    SealedColumn {
        table: "oauth_pending_authorizations",
        owner: "state",
        ciphertext: "pkce_verifier_ciphertext",
        nonce: "pkce_verifier_nonce",
        key_id: "pkce_verifier_key_id",
        context: |owner| Ok(verifier_context(owner)),
    },
    SealedColumn {
        table: "oauth_pending_confirmations",
        owner: "token_hash",
        ciphertext: "refresh_token_ciphertext",
        nonce: "refresh_token_nonce",
        key_id: "refresh_token_key_id",
        context: |owner| Ok(held_refresh_token_context(owner)),
    },
    SealedColumn {
        table: "webhook_endpoints",
        // The scope: the workspace, or '' for the endpoint of every workspace.
        owner: "coalesce(user_id, '')",
        ciphertext: "secret_ciphertext",
        nonce: "secret_nonce",
        key_id: "secret_key_id",
        context: |owner| Ok(webhook_secret_context(owner)),
    },
];

fn user(owner: &str) -> Result<UserId, StorageError> {
    UserId::parse(owner).map_err(|error| StorageError::Corrupt(format!("user id: {error}")))
}

#[derive(QueryableByName)]
struct SealedRow {
    #[diesel(sql_type = Text)]
    owner: String,
    #[diesel(sql_type = Bytea)]
    ciphertext: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    nonce: Vec<u8>,
    #[diesel(sql_type = Text)]
    key_id: String,
}

#[derive(QueryableByName)]
struct KeyCount {
    #[diesel(sql_type = Text)]
    key_id: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

impl PgStore {
    /// Re-seals up to `batch` secrets of each kind that an older key seals, in one transaction;
    /// returns how many it re-sealed (0: none left that no server holds right now).
    pub async fn reseal_batch(&self, batch: i64) -> Result<u64, StorageError> {
        let keys = self.keys();
        let current = keys.current_key_id().to_owned();
        let mut connection = self.transaction().await?;
        let mut resealed = 0;
        for column in &SEALED_COLUMNS {
            let SealedColumn {
                table,
                owner,
                ciphertext,
                nonce,
                key_id,
                context,
            } = column;
            let rows: Vec<SealedRow> = diesel::sql_query(format!(
                "SELECT {owner} AS owner, {ciphertext} AS ciphertext, {nonce} AS nonce, \
                 {key_id} AS key_id FROM {table} \
                 WHERE {key_id} IS NOT NULL AND {ciphertext} IS NOT NULL AND {nonce} IS NOT NULL \
                   AND {key_id} <> $1 \
                 ORDER BY {owner} LIMIT $2 FOR UPDATE SKIP LOCKED"
            ))
            .bind::<Text, _>(&current)
            .bind::<BigInt, _>(batch)
            .load(&mut *connection)
            .await?;
            if rows.is_empty() {
                continue;
            }
            let (mut owners, mut ciphertexts, mut nonces) = (Vec::new(), Vec::new(), Vec::new());
            for row in rows {
                let bound_to = context(&row.owner)?;
                let sealed = SealedSecret {
                    ciphertext: row.ciphertext,
                    nonce: row.nonce,
                    key_id: row.key_id,
                };
                let resealed = keys.seal(&keys.open(&sealed, &bound_to)?, &bound_to)?;
                owners.push(row.owner);
                ciphertexts.push(resealed.ciphertext);
                nonces.push(resealed.nonce);
            }
            resealed += diesel::sql_query(format!(
                "UPDATE {table} SET {ciphertext} = v.ciphertext, {nonce} = v.nonce, {key_id} = $4 \
                 FROM (SELECT unnest($1::text[]) AS owner, unnest($2::bytea[]) AS ciphertext, \
                              unnest($3::bytea[]) AS nonce) v \
                 WHERE {owner} = v.owner"
            ))
            .bind::<Array<Text>, _>(&owners)
            .bind::<Array<Bytea>, _>(&ciphertexts)
            .bind::<Array<Bytea>, _>(&nonces)
            .bind::<Text, _>(&current)
            .execute(&mut *connection)
            .await? as u64;
        }
        connection.commit().await?;
        Ok(resealed)
    }

    /// How many stored secrets each key id seals, by key id.
    pub async fn sealed_secret_counts(&self) -> Result<Vec<(String, i64)>, StorageError> {
        let union = SEALED_COLUMNS
            .iter()
            .map(|column| {
                format!(
                    "SELECT {key_id} AS key_id FROM {table} \
                     WHERE {key_id} IS NOT NULL AND {ciphertext} IS NOT NULL",
                    key_id = column.key_id,
                    table = column.table,
                    ciphertext = column.ciphertext,
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let mut connection = self.unit().await?;
        let counts: Vec<KeyCount> = diesel::sql_query(format!(
            "SELECT key_id, count(*) AS count FROM ({union}) sealed GROUP BY key_id ORDER BY key_id"
        ))
        .load(&mut *connection)
        .await?;
        connection.commit().await?;
        Ok(counts
            .into_iter()
            .map(|count| (count.key_id, count.count))
            .collect())
    }
}
