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

-- Once per key revoked or removed, so a statement that changes no key (for example one that
-- row-level security hides every row from) bumps nothing and needs no right on the counter.
CREATE TRIGGER api_keys_count_revocations
    AFTER UPDATE OF revoked_at ON api_keys
    FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
    EXECUTE FUNCTION pulse_count_api_key_revocation();
CREATE TRIGGER api_keys_count_removals
    AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION pulse_count_api_key_revocation();

SELECT pulse_lock_down_table('api_key_revocations');
SELECT pulse_lock_down_function('pulse_count_api_key_revocation()');
