-- OAuth consents in progress: single use (taken with DELETE ... RETURNING) and short-lived.
-- The PKCE verifier is sealed like the Google tokens.
CREATE TABLE oauth_pending_authorizations (
    state                   text        PRIMARY KEY,
    user_id                 text        NOT NULL,
    pkce_verifier_ciphertext bytea      NOT NULL,
    pkce_verifier_nonce     bytea       NOT NULL,
    pkce_verifier_key_id    text        NOT NULL,
    return_to               text,
    expires_at              timestamptz NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT oauth_pending_state_length
        CHECK (char_length(state) BETWEEN 1 AND 512),
    CONSTRAINT oauth_pending_user_id_length
        CHECK (char_length(user_id) BETWEEN 1 AND 255),
    CONSTRAINT oauth_pending_nonce_length
        CHECK (octet_length(pkce_verifier_nonce) = 12)
);

-- Expired consents are purged by expiry.
CREATE INDEX oauth_pending_authorizations_expires_idx
    ON oauth_pending_authorizations (expires_at);
