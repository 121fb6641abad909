//! Diesel's view of the tables created by the top-level `migrations/` folder.

diesel::table! {
    /// Each user's auto-sync settings and schedule.
    google_contacts_auto_sync_config (id) {
        /// Row id.
        id -> Uuid,
        /// The CRM user (workspace).
        user_id -> Text,
        /// Whether the user turned auto-sync on.
        enabled -> Bool,
        /// Hours between automatic syncs (1 to 720).
        interval_hours -> Int4,
        /// When the last successful sync started.
        last_sync_at -> Nullable<Timestamptz>,
        /// When the next automatic sync is due; null when off or paused.
        next_sync_at -> Nullable<Timestamptz>,
        /// While a retry is pending in `next_sync_at`, the grid slot it stands in front of.
        grid_slot_at -> Nullable<Timestamptz>,
        /// Failed runs in a row since the last success.
        consecutive_failures -> Int4,
        /// Why auto-sync paused itself, if it did.
        paused_reason -> Nullable<Text>,
        /// The last failure, for the UI.
        last_error -> Nullable<Text>,
        /// When the row was first written.
        created_at -> Timestamptz,
        /// When the row last changed.
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    /// Sync jobs: one run of one user's sync, claimed by workers under a lease.
    google_contacts_sync_jobs (id) {
        /// Job id.
        id -> Uuid,
        /// Whose contacts the job syncs.
        user_id -> Text,
        /// `auto` or `manual`.
        trigger -> Text,
        /// `queued`, `running`, `completed`, `failed` or `cancelled`.
        status -> Text,
        /// People fetched so far (progress).
        fetched -> Int8,
        /// People Google returned in the run.
        total_contacts -> Int8,
        /// People with an identifier.
        synced -> Int8,
        /// Profiles created.
        created -> Int8,
        /// Profiles updated or restored.
        updated -> Int8,
        /// Profiles with the same etag.
        unchanged -> Int8,
        /// Profiles marked deleted.
        deleted -> Int8,
        /// People without an email or phone.
        skipped_no_identifier -> Int8,
        /// Deletions Google reported.
        reported_deletions -> Int8,
        /// The failure message.
        error -> Nullable<Text>,
        /// Claims so far; every worker write is fenced by it.
        attempt -> Int4,
        /// The worker holding the lease.
        worker_id -> Nullable<Text>,
        /// When the lease runs out unless extended.
        lease_expires_at -> Nullable<Timestamptz>,
        /// Not to be claimed before this time.
        run_after -> Timestamptz,
        /// When the job was queued.
        created_at -> Timestamptz,
        /// When the current attempt started.
        started_at -> Nullable<Timestamptz>,
        /// When the job ended.
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Users' Google connections, tokens sealed with AES-256-GCM.
    google_connections (id) {
        /// Row id.
        id -> Uuid,
        /// Whose connection this is.
        user_id -> Text,
        /// Google's account id.
        google_account_id -> Nullable<Text>,
        /// The Google account's email.
        google_email -> Nullable<Text>,
        /// The sealed refresh token.
        refresh_token_ciphertext -> Nullable<Bytea>,
        /// The refresh token's nonce.
        refresh_token_nonce -> Nullable<Bytea>,
        /// The key that sealed the refresh token.
        refresh_token_key_id -> Nullable<Text>,
        /// When the last access token expires.
        access_token_expires_at -> Nullable<Timestamptz>,
        /// The scopes Google granted.
        scopes -> Array<Text>,
        /// The sealed People API sync token.
        sync_token_ciphertext -> Nullable<Bytea>,
        /// The sync token's nonce.
        sync_token_nonce -> Nullable<Bytea>,
        /// The key that sealed the sync token.
        sync_token_key_id -> Nullable<Text>,
        /// When the sync token was issued.
        sync_token_issued_at -> Nullable<Timestamptz>,
        /// `connected`, `reauth_required` or `revoked`.
        status -> Text,
        /// When the user first connected.
        created_at -> Timestamptz,
        /// When the connection last changed.
        updated_at -> Timestamptz,
        /// Which grant the row holds; moved on by every connect and disconnect.
        generation -> BigInt,
    }
}

diesel::table! {
    /// OAuth consents in progress, keyed by their `state`.
    oauth_pending_authorizations (state) {
        /// The random OAuth `state`.
        state -> Text,
        /// Who is connecting.
        user_id -> Text,
        /// The sealed PKCE verifier.
        pkce_verifier_ciphertext -> Bytea,
        /// The verifier's nonce.
        pkce_verifier_nonce -> Bytea,
        /// The key that sealed the verifier.
        pkce_verifier_key_id -> Text,
        /// Where to send the browser afterwards.
        return_to -> Nullable<Text>,
        /// When the state stops being accepted.
        expires_at -> Timestamptz,
        /// When the consent started.
        created_at -> Timestamptz,
        /// SHA-256 (hex) of the browser-binding cookie, when the consent is bound to a browser.
        browser_binding_hash -> Nullable<Text>,
    }
}

diesel::table! {
    /// Profiles synced from users' contacts.
    relationship_profiles (id) {
        /// Profile id.
        id -> Uuid,
        /// Whose profile this is.
        user_id -> Text,
        /// Where it comes from (`google`).
        source -> Text,
        /// The Google `resourceName`.
        source_id -> Text,
        /// The person's etag at the last sync.
        etag -> Nullable<Text>,
        /// The name to show.
        display_name -> Nullable<Text>,
        /// Given name.
        given_name -> Nullable<Text>,
        /// Family name.
        family_name -> Nullable<Text>,
        /// Primary email.
        primary_email -> Nullable<Text>,
        /// All emails (JSON array).
        emails -> Jsonb,
        /// All phones (JSON array).
        phones -> Jsonb,
        /// Organization name.
        organization -> Nullable<Text>,
        /// Job title.
        title -> Nullable<Text>,
        /// Photo URL.
        photo_url -> Nullable<Text>,
        /// The job whose listing last contained the profile.
        last_seen_job_id -> Nullable<Uuid>,
        /// The attempt of that job.
        last_seen_attempt -> Nullable<Int4>,
        /// When Google's side deleted it.
        deleted_at -> Nullable<Timestamptz>,
        /// When the profile was first synced.
        created_at -> Timestamptz,
        /// When the profile last changed.
        updated_at -> Timestamptz,
        /// The number of the profile's latest write (the change feed's order).
        change_seq -> Int8,
        /// What that write did: `created`, `updated` or `deleted`.
        last_change -> Text,
    }
}

diesel::table! {
    /// API keys, stored as SHA-256 hashes.
    api_keys (id) {
        /// Key id.
        id -> Uuid,
        /// Lower-case hex SHA-256 of the key.
        key_hash -> Text,
        /// `admin` or `workspace`.
        scope -> Text,
        /// The workspace of a workspace key.
        workspace_id -> Nullable<Text>,
        /// A label for people.
        name -> Nullable<Text>,
        /// When the key was created.
        created_at -> Timestamptz,
        /// When the key was last used (to the minute).
        last_used_at -> Nullable<Timestamptz>,
        /// When the key was revoked.
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    /// Grants of consents started without a browser binding, waiting for the person to confirm.
    oauth_pending_confirmations (token_hash) {
        /// SHA-256 (hex) of the page's one-time confirmation token.
        token_hash -> Text,
        /// The workspace the grant would connect.
        user_id -> Text,
        /// The Google account's email, when known.
        google_email -> Nullable<Text>,
        /// The sealed refresh token.
        refresh_token_ciphertext -> Bytea,
        /// The refresh token's nonce.
        refresh_token_nonce -> Bytea,
        /// The key that sealed the refresh token.
        refresh_token_key_id -> Text,
        /// When the first access token expires.
        access_token_expires_at -> Nullable<Timestamptz>,
        /// The scopes Google granted.
        scopes -> Array<Text>,
        /// Where to send the browser afterwards.
        return_to -> Nullable<Text>,
        /// When the confirmation stops being accepted.
        expires_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    google_contacts_auto_sync_config,
    google_contacts_sync_jobs,
    google_connections,
    oauth_pending_authorizations,
    oauth_pending_confirmations,
    relationship_profiles,
    api_keys,
);
