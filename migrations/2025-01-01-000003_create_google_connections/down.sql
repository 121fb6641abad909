DROP TABLE google_connections;
