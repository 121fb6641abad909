-- One Google connection per user. Tokens are stored only as AES-256-GCM ciphertext, each with
-- its own 12-byte nonce and the id of the key that sealed it (so keys can be rotated).
CREATE TABLE google_connections (
    id                       uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                  text        NOT NULL UNIQUE,
    google_account_id        text,
    google_email             text,
    refresh_token_ciphertext bytea,
    refresh_token_nonce      bytea,
    refresh_token_key_id     text,
    access_token_expires_at  timestamptz,
    scopes                   text[]      NOT NULL DEFAULT '{}',
    sync_token_ciphertext    bytea,
    sync_token_nonce         bytea,
    sync_token_key_id        text,
    sync_token_issued_at     timestamptz,
    status                   text        NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT google_connections_user_id_length
        CHECK (char_length(user_id) BETWEEN 1 AND 255),
    CONSTRAINT google_connections_status_known
        CHECK (status IN ('connected', 'reauth_required', 'revoked')),
    CONSTRAINT google_connections_refresh_token_sealed
        CHECK ((refresh_token_ciphertext IS NULL AND refresh_token_nonce IS NULL
                AND refresh_token_key_id IS NULL)
            OR (refresh_token_ciphertext IS NOT NULL AND octet_length(refresh_token_nonce) = 12
                AND refresh_token_key_id IS NOT NULL)),
    CONSTRAINT google_connections_sync_token_sealed
        CHECK ((sync_token_ciphertext IS NULL AND sync_token_nonce IS NULL
                AND sync_token_key_id IS NULL)
            OR (sync_token_ciphertext IS NOT NULL AND octet_length(sync_token_nonce) = 12
                AND sync_token_key_id IS NOT NULL)),
    CONSTRAINT google_connections_connected_has_token
        CHECK (status <> 'connected' OR refresh_token_ciphertext IS NOT NULL)
);
