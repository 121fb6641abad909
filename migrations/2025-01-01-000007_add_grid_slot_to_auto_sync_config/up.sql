-- While a retry after a failed run is pending in next_sync_at, the grid slot it stands in front
-- of, so the schedule returns to its grid after the retry instead of drifting.
ALTER TABLE google_contacts_auto_sync_config
    ADD COLUMN grid_slot_at timestamptz,
    ADD CONSTRAINT google_contacts_auto_sync_config_grid_slot_after_retry
        CHECK (grid_slot_at IS NULL OR (next_sync_at IS NOT NULL AND grid_slot_at > next_sync_at));
