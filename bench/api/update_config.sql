-- pgbench script: the write behind PUT /api/logos-vision/auto-sync/config (one workspace's
-- interval and schedule by its unique user id), over the same workspaces as the wrk run.
\set n random(1, :workspaces)
\set hours random(1, 720)
UPDATE google_contacts_auto_sync_config
SET enabled = true, interval_hours = :hours, next_sync_at = now() + make_interval(hours => :hours),
    updated_at = now()
WHERE user_id = 'api-' || :n;
