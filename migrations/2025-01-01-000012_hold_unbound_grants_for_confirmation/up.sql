-- A consent started without a browser binding (a CRM backend calling the API) is not connected by
-- the callback: the grant Google gave waits here, its refresh token sealed like a connection's,
-- until the person who approved it confirms on the page that names the workspace and the Google
-- account. The page's one-time token is random; only its SHA-256 (hex) is kept.
CREATE TABLE oauth_pending_confirmations (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    google_email TEXT,
    refresh_token_ciphertext BYTEA NOT NULL,
    refresh_token_nonce BYTEA NOT NULL,
    refresh_token_key_id TEXT NOT NULL,
    access_token_expires_at TIMESTAMPTZ,
    scopes TEXT[] NOT NULL,
    return_to TEXT,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX oauth_pending_confirmations_expires_at ON oauth_pending_confirmations (expires_at);

SELECT pulse_lock_down_table('oauth_pending_confirmations');
