-- pgbench script: the primary-key read behind GET /api/logos-vision/auto-sync/config (one
-- workspace's configuration by its unique user id), over the same workspaces as the wrk run.
\set n random(1, :workspaces)
SELECT user_id, enabled, interval_hours, last_sync_at, next_sync_at, consecutive_failures,
       paused_reason, last_error, created_at, updated_at
FROM google_contacts_auto_sync_config WHERE user_id = 'api-' || :n;
