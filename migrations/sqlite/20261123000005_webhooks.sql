-- Webhooks (SQLite dialect; keep in step with ../postgres): endpoints admins register, and
-- the outbox of deliveries, written in the same transaction as the change they announce.

CREATE TABLE webhook_endpoints (
    id          INTEGER PRIMARY KEY,
    url         TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    -- Space-separated event types, e.g. "points.earned reward.issued".
    events      TEXT   NOT NULL,
    -- Standard Webhooks signing secret, "whsec_" + base64.
    secret      TEXT   NOT NULL,
    active      BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    endpoint_id      BIGINT NOT NULL REFERENCES webhook_endpoints (id),
    event_type       TEXT   NOT NULL,
    payload          TEXT   NOT NULL,
    -- pending | delivered | failed (gave up after the last retry)
    status           TEXT   NOT NULL DEFAULT 'pending',
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    last_status_code BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
