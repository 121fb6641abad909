-- The CRM profiles synced from each user's contacts, one per (user, source, resource name).
-- last_seen_job_id and last_seen_attempt record which run last listed the profile, so a complete
-- full listing can mark deleted the profiles it did not see.
CREATE TABLE relationship_profiles (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           text        NOT NULL,
    source            text        NOT NULL DEFAULT 'google',
    source_id         text        NOT NULL,
    etag              text,
    display_name      text,
    given_name        text,
    family_name       text,
    primary_email     text,
    emails            jsonb       NOT NULL DEFAULT '[]'::jsonb,
    phones            jsonb       NOT NULL DEFAULT '[]'::jsonb,
    organization      text,
    title             text,
    photo_url         text,
    last_seen_job_id  uuid,
    last_seen_attempt integer,
    deleted_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT relationship_profiles_source_key UNIQUE (user_id, source, source_id),
    CONSTRAINT relationship_profiles_user_id_length
        CHECK (char_length(user_id) BETWEEN 1 AND 255),
    CONSTRAINT relationship_profiles_source_id_not_empty
        CHECK (char_length(source_id) >= 1),
    CONSTRAINT relationship_profiles_emails_array
        CHECK (jsonb_typeof(emails) = 'array'),
    CONSTRAINT relationship_profiles_phones_array
        CHECK (jsonb_typeof(phones) = 'array')
);

-- Listing a user's profiles by name, then id (the API's order and keyset cursor).
CREATE INDEX relationship_profiles_listing_idx
    ON relationship_profiles (user_id, (coalesce(display_name, '')), id);
