-- API keys, stored only as the lower-case hex SHA-256 of the key. A key is scoped to one
-- workspace or is an admin key.
CREATE TABLE api_keys (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    key_hash     text        NOT NULL UNIQUE,
    scope        text        NOT NULL,
    workspace_id text,
    name         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT api_keys_hash_is_sha256_hex
        CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT api_keys_scope_known
        CHECK (scope IN ('admin', 'workspace')),
    CONSTRAINT api_keys_scope_workspace
        CHECK ((scope = 'admin' AND workspace_id IS NULL)
            OR (scope = 'workspace' AND workspace_id IS NOT NULL
                AND char_length(workspace_id) BETWEEN 1 AND 255))
);
