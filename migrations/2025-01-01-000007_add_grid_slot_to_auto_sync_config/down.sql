ALTER TABLE google_contacts_auto_sync_config
    DROP CONSTRAINT google_contacts_auto_sync_config_grid_slot_after_retry,
    DROP COLUMN grid_slot_at;
