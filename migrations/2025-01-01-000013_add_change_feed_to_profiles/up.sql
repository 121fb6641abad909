-- The change feed of each workspace's profiles (GET .../google-contacts/profiles/changes): every
-- write of a profile row (created, updated, deleted, restored) takes the next value of one
-- sequence into change_seq and says in last_change what it did, so a CRM that stores the last
-- change_seq it read asks for the rows changed after it. See docs/api.md ("Change feed").
--
-- The sequence trap: a transaction that took a lower number may commit after one that took a
-- higher number, and a reader who already read past the higher one would never see the lower.
-- So every transaction that writes a workspace's profiles first calls
-- pulse_lock_profiles_of(workspace), before it takes any number or any other lock, and holds
-- that lock to its commit: within one workspace the numbers are then taken in commit order, and
-- PostgreSQL makes a commit visible before it releases the transaction's locks, so every
-- snapshot sees a prefix of each workspace's feed.

-- CACHE 1 (the default, said here on purpose): with a per-session cache, numbers would not be
-- handed out in the order they are asked for, and the order is what the feed's guarantee rests on.
CREATE SEQUENCE relationship_profile_change_seq AS bigint CACHE 1;

ALTER TABLE relationship_profiles
    ADD COLUMN change_seq bigint,
    ADD COLUMN last_change text NOT NULL DEFAULT 'created';

-- The rows already stored, numbered in a stable order (oldest change first).
UPDATE relationship_profiles AS p
SET change_seq = numbered.seq,
    last_change = CASE WHEN p.deleted_at IS NULL THEN 'created' ELSE 'deleted' END
FROM (SELECT id, row_number() OVER (ORDER BY updated_at, id) AS seq
      FROM relationship_profiles) AS numbered
WHERE p.id = numbered.id;
SELECT setval('relationship_profile_change_seq', max(change_seq))
FROM relationship_profiles HAVING max(change_seq) IS NOT NULL;

ALTER SEQUENCE relationship_profile_change_seq OWNED BY relationship_profiles.change_seq;
ALTER TABLE relationship_profiles
    ALTER COLUMN change_seq SET DEFAULT nextval('relationship_profile_change_seq'),
    ALTER COLUMN change_seq SET NOT NULL,
    ADD CONSTRAINT relationship_profiles_last_change_known
        CHECK (last_change IN ('created', 'updated', 'deleted')),
    ADD CONSTRAINT relationship_profiles_last_change_deleted
        CHECK ((last_change = 'deleted') = (deleted_at IS NOT NULL));

-- The feed reads one workspace's rows in change order; a number names one change.
CREATE UNIQUE INDEX relationship_profiles_change_feed_idx
    ON relationship_profiles (user_id, change_seq);

-- Takes the transaction-scoped lock on the profiles of one workspace (see above). Every writer
-- of relationship_profiles takes it first in its transaction, before any other lock, so the
-- transactions that take it cannot deadlock on it. Transaction-scoped, so it also holds behind
-- a transaction pooler. Returns true, so it can sit in the select list of the statement that
-- opens the transaction's work instead of costing a statement of its own.
CREATE FUNCTION pulse_lock_profiles_of(workspace text) RETURNS boolean
LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(hashtextextended('pulse.profiles:' || workspace, 0)) IS NOT NULL
$$;

-- The Data API roles may neither read the sequence (how many changes were made) nor take numbers.
-- Only the sequence: locking the whole table down again would also take back the grant of the
-- opt-in profile read policy (pulse_enable_profile_read_policy) from a database that has it on.
SELECT pulse_revoke_from_api_roles('SEQUENCE', 'relationship_profile_change_seq');
SELECT pulse_lock_down_function('pulse_lock_profiles_of(text)');
