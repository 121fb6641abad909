-- Signed webhooks from a transactional outbox. An endpoint per workspace (and one, set by an
-- admin key, for every workspace) with its signing secret sealed like the Google tokens; the
-- events a run's end writes in its own transaction, numbered per workspace; one delivery per
-- event and subscribed endpoint, retried until delivered or given up; and the latest attempts.
CREATE TABLE webhook_endpoints (
    id UUID PRIMARY KEY,
    -- NULL: the endpoint of every workspace.
    user_id TEXT,
    url TEXT NOT NULL,
    events TEXT[] NOT NULL,
    secret_ciphertext BYTEA NOT NULL,
    secret_nonce BYTEA NOT NULL,
    secret_key_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- One endpoint per scope; '' (never a workspace id) stands for every workspace.
CREATE UNIQUE INDEX webhook_endpoints_scope ON webhook_endpoints ((coalesce(user_id, '')));

-- The last sequence number given to an event of each workspace.
CREATE TABLE webhook_sequences (
    user_id TEXT PRIMARY KEY,
    last_sequence BIGINT NOT NULL
);

CREATE TABLE webhook_events (
    id UUID PRIMARY KEY,
    user_id TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    type TEXT NOT NULL,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, sequence)
);

CREATE TABLE webhook_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id UUID NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- Attempts started; a claim adds one and fences that attempt's record.
    attempts INTEGER NOT NULL DEFAULT 0,
    -- When the next attempt is due (a claim moves it to the end of its lease); NULL once
    -- delivered or given up.
    next_attempt_at TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    gave_up_at TIMESTAMPTZ,
    last_status_code INTEGER,
    last_latency_ms BIGINT,
    last_error TEXT,
    UNIQUE (event_id, endpoint_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id);

-- The latest attempts of each endpoint (older ones are pruned as new ones are recorded).
CREATE TABLE webhook_delivery_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL,
    status_code INTEGER,
    latency_ms BIGINT NOT NULL,
    error TEXT,
    next_attempt_at TIMESTAMPTZ
);

CREATE INDEX webhook_delivery_attempts_endpoint ON webhook_delivery_attempts (endpoint_id, id DESC);
CREATE INDEX webhook_delivery_attempts_delivery ON webhook_delivery_attempts (delivery_id);

SELECT pulse_lock_down_table('webhook_endpoints');
SELECT pulse_lock_down_table('webhook_sequences');
SELECT pulse_lock_down_table('webhook_events');
SELECT pulse_lock_down_table('webhook_deliveries');
SELECT pulse_lock_down_table('webhook_delivery_attempts');
