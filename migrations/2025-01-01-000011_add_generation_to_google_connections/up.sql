-- Which grant a connection row holds: every (re)connect and every disconnect moves it on, and a
-- sync run writes its sync token, `reauth_required` and the schedule that follows them only while
-- the generation it loaded at its start is still the current one. A run that started before the
-- user reconnected (perhaps to another Google account) or disconnected changes nothing of the
-- new grant.
ALTER TABLE google_connections ADD COLUMN generation bigint NOT NULL DEFAULT 1;
