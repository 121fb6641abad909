ALTER TABLE google_connections DROP COLUMN generation;
