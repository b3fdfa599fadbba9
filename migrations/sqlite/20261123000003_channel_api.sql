-- Channel API (SQLite dialect; keep in step with ../postgres): API keys, idempotency records
-- and members' external identifiers.

-- Keys are shown once; only the SHA-256 of the secret is kept. `prefix` (public, unique)
-- finds the row, the hash proves the secret.
CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY,
    name          TEXT   NOT NULL,
    channel       TEXT   NOT NULL CHECK (channel IN ('store', 'web', 'app')),
    -- NULL: every program.
    program_id    BIGINT REFERENCES programs (id),
    -- Space-separated: members:read orders:write events:write rewards:write points:adjust
    scopes        TEXT   NOT NULL,
    prefix        TEXT   NOT NULL UNIQUE,
    secret_hash   TEXT   NOT NULL,
    rate_per_sec  BIGINT NOT NULL CHECK (rate_per_sec > 0),
    created_by    BIGINT REFERENCES users (id),
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    last_used_at  BIGINT
);

-- One row per (key, Idempotency-Key): the request's fingerprint and the answer it got.
-- `status` is NULL while the first request is still being answered.
CREATE TABLE idempotency_keys (
    api_key_id   BIGINT NOT NULL REFERENCES api_keys (id),
    key          TEXT   NOT NULL,
    fingerprint  TEXT   NOT NULL,
    status       BIGINT,
    response     TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Identifiers beyond email, phone and the card: each channel's own customer id, extra cards.
CREATE TABLE member_identifiers (
    id         INTEGER PRIMARY KEY,
    member_id  BIGINT NOT NULL REFERENCES members (id),
    kind       TEXT   NOT NULL,
    value      TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT member_identifiers_value UNIQUE (kind, value)
);
CREATE INDEX member_identifiers_member ON member_identifiers (member_id);
CREATE INDEX member_identifiers_lookup ON member_identifiers (value);
