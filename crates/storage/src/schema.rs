//! Diesel's view of the tables created by the top-level `migrations/` folder.

diesel::table! {
    /// Each user's auto-sync settings and schedule.
    google_contacts_auto_sync_config (id) {
        id -> Uuid,
        user_id -> Text,
        enabled -> Bool,
        interval_hours -> Int4,
        last_sync_at -> Nullable<Timestamptz>,
        next_sync_at -> Nullable<Timestamptz>,
        consecutive_failures -> Int4,
        paused_reason -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    /// Sync jobs: one run of one user's sync, claimed by workers under a lease.
    google_contacts_sync_jobs (id) {
        id -> Uuid,
        user_id -> Text,
        trigger -> Text,
        status -> Text,
        fetched -> Int8,
        total_contacts -> Int8,
        synced -> Int8,
        created -> Int8,
        updated -> Int8,
        unchanged -> Int8,
        deleted -> Int8,
        skipped_no_identifier -> Int8,
        reported_deletions -> Int8,
        error -> Nullable<Text>,
        attempt -> Int4,
        worker_id -> Nullable<Text>,
        lease_expires_at -> Nullable<Timestamptz>,
        run_after -> Timestamptz,
        created_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Users' Google connections, tokens sealed with AES-256-GCM.
    google_connections (id) {
        id -> Uuid,
        user_id -> Text,
        google_account_id -> Nullable<Text>,
        google_email -> Nullable<Text>,
        refresh_token_ciphertext -> Nullable<Bytea>,
        refresh_token_nonce -> Nullable<Bytea>,
        refresh_token_key_id -> Nullable<Text>,
        access_token_expires_at -> Nullable<Timestamptz>,
        scopes -> Array<Text>,
        sync_token_ciphertext -> Nullable<Bytea>,
        sync_token_nonce -> Nullable<Bytea>,
        sync_token_key_id -> Nullable<Text>,
        sync_token_issued_at -> Nullable<Timestamptz>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    /// OAuth consents in progress, keyed by their `state`.
    oauth_pending_authorizations (state) {
        state -> Text,
        user_id -> Text,
        pkce_verifier_ciphertext -> Bytea,
        pkce_verifier_nonce -> Bytea,
        pkce_verifier_key_id -> Text,
        return_to -> Nullable<Text>,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// Profiles synced from users' contacts.
    relationship_profiles (id) {
        id -> Uuid,
        user_id -> Text,
        source -> Text,
        source_id -> Text,
        etag -> Nullable<Text>,
        display_name -> Nullable<Text>,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        primary_email -> Nullable<Text>,
        emails -> Jsonb,
        phones -> Jsonb,
        organization -> Nullable<Text>,
        title -> Nullable<Text>,
        photo_url -> Nullable<Text>,
        last_seen_job_id -> Nullable<Uuid>,
        last_seen_attempt -> Nullable<Int4>,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    /// API keys, stored as SHA-256 hashes.
    api_keys (id) {
        id -> Uuid,
        key_hash -> Text,
        scope -> Text,
        workspace_id -> Nullable<Text>,
        name -> Nullable<Text>,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    google_contacts_auto_sync_config,
    google_contacts_sync_jobs,
    google_connections,
    oauth_pending_authorizations,
    relationship_profiles,
    api_keys,
);
