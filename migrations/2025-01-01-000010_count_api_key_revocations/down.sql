DROP TRIGGER api_keys_count_removals ON api_keys;
DROP TRIGGER api_keys_count_revocations ON api_keys;
DROP FUNCTION pulse_count_api_key_revocation();
DROP TABLE api_key_revocations;
