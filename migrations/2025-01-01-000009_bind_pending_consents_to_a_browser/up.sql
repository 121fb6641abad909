-- A consent started from a browser is bound to it: the SHA-256 (hex) of the random value of the
-- HttpOnly cookie set by the connect answer. NULL: the consent is not bound to a browser.
ALTER TABLE oauth_pending_authorizations ADD COLUMN browser_binding_hash TEXT;
