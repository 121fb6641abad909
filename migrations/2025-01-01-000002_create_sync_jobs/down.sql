DROP TABLE google_contacts_sync_jobs;
DROP FUNCTION pulse_notify_sync_jobs();
