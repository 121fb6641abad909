-- Turns row-level security off again and removes the functions. The privileges the up migration
-- revoked are not granted back: they were never pulse-sync's, and granting them would reopen the
-- tables to the Data API roles.
SELECT pulse_disable_profile_read_policy();

ALTER TABLE google_contacts_auto_sync_config DISABLE ROW LEVEL SECURITY;
ALTER TABLE google_contacts_sync_jobs DISABLE ROW LEVEL SECURITY;
ALTER TABLE google_connections DISABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_pending_authorizations DISABLE ROW LEVEL SECURITY;
ALTER TABLE relationship_profiles DISABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys DISABLE ROW LEVEL SECURITY;
DO $$
BEGIN
    IF to_regclass('__diesel_schema_migrations') IS NOT NULL THEN
        ALTER TABLE __diesel_schema_migrations DISABLE ROW LEVEL SECURITY;
    END IF;
END;
$$;

DROP FUNCTION pulse_disable_profile_read_policy();
DROP FUNCTION pulse_enable_profile_read_policy(text);
DROP FUNCTION pulse_lock_down_function(regprocedure);
DROP FUNCTION pulse_lock_down_table(regclass);
DROP FUNCTION pulse_revoke_from_api_roles(text, text);
