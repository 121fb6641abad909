-- The revocation epoch of API keys: a counter every revocation (or deletion) of a key bumps in
-- the same transaction, so that a process caching authenticated keys learns of a revocation by
-- reading one row, at most once a second, instead of reading a key on every request. A trigger
-- keeps it, so a key revoked in plain SQL counts too. See docs/api.md ("Authentication").
CREATE TABLE api_key_revocations (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch     bigint  NOT NULL
);
INSERT INTO api_key_revocations (singleton, epoch) VALUES (true, 0);

CREATE FUNCTION pulse_count_api_key_revocation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_key_revocations SET epoch = epoch + 1;
    RETURN NULL;
END;
$$;

-- Once per statement that may revoke or remove keys (an UPDATE naming revoked_at, a DELETE):
-- a statement that changes no key bumps it too, which only empties the caches once more.
CREATE TRIGGER api_keys_count_revocations
    AFTER UPDATE OF revoked_at OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION pulse_count_api_key_revocation();

SELECT pulse_lock_down_table('api_key_revocations');
SELECT pulse_lock_down_function('pulse_count_api_key_revocation()');
