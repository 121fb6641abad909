-- One row per sync run of one user. Workers claim queued rows with a lease; every write of a
-- worker is fenced by (id, attempt, status = 'running').
CREATE TABLE google_contacts_sync_jobs (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id               text        NOT NULL,
    trigger               text        NOT NULL,
    status                text        NOT NULL DEFAULT 'queued',
    fetched               bigint      NOT NULL DEFAULT 0,
    total_contacts        bigint      NOT NULL DEFAULT 0,
    synced                bigint      NOT NULL DEFAULT 0,
    created               bigint      NOT NULL DEFAULT 0,
    updated               bigint      NOT NULL DEFAULT 0,
    unchanged             bigint      NOT NULL DEFAULT 0,
    deleted               bigint      NOT NULL DEFAULT 0,
    skipped_no_identifier bigint      NOT NULL DEFAULT 0,
    reported_deletions    bigint      NOT NULL DEFAULT 0,
    error                 text,
    attempt               integer     NOT NULL DEFAULT 0,
    worker_id             text,
    lease_expires_at      timestamptz,
    run_after             timestamptz NOT NULL DEFAULT now(),
    created_at            timestamptz NOT NULL DEFAULT now(),
    started_at            timestamptz,
    finished_at           timestamptz,
    CONSTRAINT sync_jobs_user_id_length
        CHECK (char_length(user_id) BETWEEN 1 AND 255),
    CONSTRAINT sync_jobs_trigger_known
        CHECK (trigger IN ('auto', 'manual')),
    CONSTRAINT sync_jobs_status_known
        CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    CONSTRAINT sync_jobs_attempt_non_negative
        CHECK (attempt >= 0),
    CONSTRAINT sync_jobs_counts_non_negative
        CHECK (fetched >= 0 AND total_contacts >= 0 AND synced >= 0 AND created >= 0
               AND updated >= 0 AND unchanged >= 0 AND deleted >= 0
               AND skipped_no_identifier >= 0 AND reported_deletions >= 0),
    CONSTRAINT sync_jobs_running_has_lease
        CHECK (status <> 'running' OR (worker_id IS NOT NULL AND lease_expires_at IS NOT NULL))
);

-- At most one queued-or-running job per user: the last line of defence against double syncs.
CREATE UNIQUE INDEX google_contacts_sync_jobs_one_active_idx
    ON google_contacts_sync_jobs (user_id)
    WHERE status IN ('queued', 'running');

-- Claiming the oldest queued job reads only queued rows, in claim order.
CREATE INDEX google_contacts_sync_jobs_queue_idx
    ON google_contacts_sync_jobs (created_at, id)
    WHERE status = 'queued';

-- The rescuer reads only running rows, by lease expiry.
CREATE INDEX google_contacts_sync_jobs_lease_idx
    ON google_contacts_sync_jobs (lease_expires_at)
    WHERE status = 'running';

-- A user's jobs, newest first.
CREATE INDEX google_contacts_sync_jobs_user_recent_idx
    ON google_contacts_sync_jobs (user_id, created_at DESC, id DESC);

-- Wakes listening workers when queued jobs appear (inserted, retried, rescued or released).
-- One notification per statement, whatever the number of rows; polling stays the fallback.
CREATE FUNCTION pulse_notify_sync_jobs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_jobs WHERE status = 'queued') THEN
        PERFORM pg_notify('pulse_sync_jobs', '');
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER google_contacts_sync_jobs_notify_insert
    AFTER INSERT ON google_contacts_sync_jobs
    REFERENCING NEW TABLE AS changed_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION pulse_notify_sync_jobs();

CREATE TRIGGER google_contacts_sync_jobs_notify_update
    AFTER UPDATE ON google_contacts_sync_jobs
    REFERENCING NEW TABLE AS changed_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION pulse_notify_sync_jobs();
