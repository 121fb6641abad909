-- Each user's auto-sync settings and schedule. The CHECKs mirror the domain's validation
-- (pulse_domain::UserId, SyncInterval, PausedReason) so no other writer can store what the
-- domain would refuse.
CREATE TABLE google_contacts_auto_sync_config (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id              text        NOT NULL UNIQUE,
    enabled              boolean     NOT NULL DEFAULT false,
    interval_hours       integer     NOT NULL DEFAULT 24,
    last_sync_at         timestamptz,
    next_sync_at         timestamptz,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    paused_reason        text,
    last_error           text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT auto_sync_config_user_id_length
        CHECK (char_length(user_id) BETWEEN 1 AND 255),
    CONSTRAINT auto_sync_config_user_id_no_control
        CHECK (user_id !~ '[\u0001-\u001f\u007f-\u009f]'),
    CONSTRAINT auto_sync_config_interval_range
        CHECK (interval_hours BETWEEN 1 AND 720),
    CONSTRAINT auto_sync_config_failures_non_negative
        CHECK (consecutive_failures >= 0),
    CONSTRAINT auto_sync_config_paused_reason_known
        CHECK (paused_reason IN ('too_many_failures', 'google_reauth_required'))
);

-- The due scan reads only active rows, in due order: its cost follows the number of active
-- schedules, not the size of the table.
CREATE INDEX google_contacts_auto_sync_config_due_idx
    ON google_contacts_auto_sync_config (next_sync_at, user_id)
    WHERE enabled AND paused_reason IS NULL;
