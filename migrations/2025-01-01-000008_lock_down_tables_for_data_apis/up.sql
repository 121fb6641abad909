-- Locks pulse-sync's tables away from the roles of a hosted Data API. Supabase serves every table
-- and function of `public` through PostgREST (and GraphQL) as the roles anon, authenticated and
-- service_role, and its default privileges grant those roles ALL on every new table, sequence and
-- function there: without this, anyone holding the project's public anon key could read the
-- profiles, mint an admin API key or change schedules. See docs/deployment.md ("Supabase").
--
-- 1. Every table gets row-level security with no policy: a role that neither owns the table nor
--    has BYPASSRLS sees no row and changes none. RLS is not forced, so the owner (the role that
--    ran these migrations, which the service connects as) is unaffected.
-- 2. TRUNCATE and REFERENCES ignore RLS, so PUBLIC and the roles anon, authenticated and
--    service_role (where they exist) also lose every privilege on the tables, their sequences and
--    pulse-sync's functions. service_role bypasses RLS on Supabase and its key is handed to other
--    backends; pulse-sync needs none of these grants, so it loses them too.
--
-- Default privileges grant again whatever a later migration creates: a migration that creates a
-- table calls `SELECT pulse_lock_down_table('name');`, one that creates a function calls
-- `SELECT pulse_lock_down_function('name(argument types)');`.

-- REVOKE ALL on one object from PUBLIC and from those of the Data API roles that exist.
-- `kind` is TABLE, SEQUENCE or FUNCTION; `object` is the object's name, already quoted.
CREATE FUNCTION pulse_revoke_from_api_roles(kind text, object text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    grantees text;
BEGIN
    IF kind NOT IN ('TABLE', 'SEQUENCE', 'FUNCTION') THEN
        RAISE EXCEPTION 'pulse_revoke_from_api_roles: unknown kind %', kind;
    END IF;
    SELECT string_agg(grantee, ', ') INTO grantees
    FROM (
        SELECT 'PUBLIC' AS grantee
        UNION ALL
        SELECT quote_ident(rolname) FROM pg_roles
        WHERE rolname IN ('anon', 'authenticated', 'service_role')
    ) AS api_roles;
    EXECUTE format('REVOKE ALL ON %s %s FROM %s', kind, object, grantees);
END;
$$;

-- Enables RLS on one table (not forced) and revokes the Data API roles' privileges on it and on
-- the sequences its columns own (serial and identity columns).
CREATE FUNCTION pulse_lock_down_table(target regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    owned_sequence regclass;
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
    PERFORM pulse_revoke_from_api_roles('TABLE', target::text);
    FOR owned_sequence IN
        SELECT dependency.objid::regclass
        FROM pg_depend AS dependency
        JOIN pg_class AS sequence ON sequence.oid = dependency.objid
        WHERE dependency.classid = 'pg_class'::regclass
          AND dependency.refclassid = 'pg_class'::regclass
          AND dependency.refobjid = target
          AND sequence.relkind = 'S'
    LOOP
        PERFORM pulse_revoke_from_api_roles('SEQUENCE', owned_sequence::text);
    END LOOP;
END;
$$;

-- Revokes EXECUTE (granted to PUBLIC by PostgreSQL, to the Data API roles by Supabase) on one
-- function, so PostgREST cannot call it.
CREATE FUNCTION pulse_lock_down_function(target regprocedure) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pulse_revoke_from_api_roles('FUNCTION', target::text);
END;
$$;

-- Opt-in, for a CRM whose frontend reads its users' profiles through the Data API: the role
-- authenticated may SELECT the relationship_profiles rows whose user_id equals the request's JWT
-- claim `claim` (top-level, `sub` by default), and nothing else. The claims come from auth.jwt()
-- when that function exists (Supabase), else from PostgREST's `request.jwt.claims` setting; the
-- choice is made when this runs. Calling it again replaces the policy.
CREATE FUNCTION pulse_enable_profile_read_policy(claim text DEFAULT 'sub') RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    claims text;
BEGIN
    IF claim IS NULL OR claim = '' THEN
        RAISE EXCEPTION 'pulse_enable_profile_read_policy: name the JWT claim that holds the user id, such as sub';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        RAISE EXCEPTION 'pulse_enable_profile_read_policy: there is no role authenticated (the policy is for a database behind a Data API such as Supabase''s)';
    END IF;
    IF to_regprocedure('auth.jwt()') IS NOT NULL THEN
        claims := 'auth.jwt()';
    ELSE
        claims := 'nullif(current_setting(''request.jwt.claims'', true), '''')::jsonb';
    END IF;
    DROP POLICY IF EXISTS pulse_profile_read ON relationship_profiles;
    EXECUTE format(
        'CREATE POLICY pulse_profile_read ON relationship_profiles FOR SELECT TO authenticated '
        'USING (user_id = (SELECT %s ->> %L))',
        claims, claim);
    GRANT SELECT ON relationship_profiles TO authenticated;
END;
$$;

-- Undoes pulse_enable_profile_read_policy: drops the policy and the grant (a no-op when off).
CREATE FUNCTION pulse_disable_profile_read_policy() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DROP POLICY IF EXISTS pulse_profile_read ON relationship_profiles;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        EXECUTE 'REVOKE ALL ON relationship_profiles FROM authenticated';
    END IF;
END;
$$;

SELECT pulse_lock_down_table('google_contacts_auto_sync_config');
SELECT pulse_lock_down_table('google_contacts_sync_jobs');
SELECT pulse_lock_down_table('google_connections');
SELECT pulse_lock_down_table('oauth_pending_authorizations');
SELECT pulse_lock_down_table('relationship_profiles');
SELECT pulse_lock_down_table('api_keys');
-- Diesel's record of the applied migrations: whoever writes it can make the service skip a
-- migration or fail at start. Diesel creates it before the first migration (as the same role);
-- it is missing only when this file runs by hand on a database diesel never migrated.
SELECT pulse_lock_down_table(to_regclass('__diesel_schema_migrations'))
WHERE to_regclass('__diesel_schema_migrations') IS NOT NULL;

SELECT pulse_lock_down_function('pulse_notify_sync_jobs()');
SELECT pulse_lock_down_function('pulse_revoke_from_api_roles(text, text)');
SELECT pulse_lock_down_function('pulse_lock_down_table(regclass)');
SELECT pulse_lock_down_function('pulse_lock_down_function(regprocedure)');
SELECT pulse_lock_down_function('pulse_enable_profile_read_policy(text)');
SELECT pulse_lock_down_function('pulse_disable_profile_read_policy()');
