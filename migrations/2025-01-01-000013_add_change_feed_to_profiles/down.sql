DROP FUNCTION pulse_lock_profiles_of(text);
DROP INDEX relationship_profiles_change_feed_idx;
ALTER TABLE relationship_profiles
    DROP CONSTRAINT relationship_profiles_last_change_deleted,
    DROP CONSTRAINT relationship_profiles_last_change_known,
    DROP COLUMN last_change,
    DROP COLUMN change_seq;
DROP SEQUENCE IF EXISTS relationship_profile_change_seq;
