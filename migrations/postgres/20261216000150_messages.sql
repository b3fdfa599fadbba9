-- Messages (issue 19): one outbox for every channel, delivered by a worker with retries as
-- webhooks are (server::outbox), each program's limits, and one-time password reset links.

-- A program's time zone and its limits on messages (model::message::MessageSettings).
-- Quiet hours are minutes after local midnight; NULL caps are no cap.
CREATE TABLE message_settings (
    program_id      BIGINT PRIMARY KEY REFERENCES programs (id),
    time_zone       TEXT   NOT NULL DEFAULT 'UTC',
    quiet_start     BIGINT,
    quiet_end       BIGINT,
    cap_day         BIGINT,
    cap_week        BIGINT,
    cap_month       BIGINT,
    min_gap_minutes BIGINT NOT NULL DEFAULT 0,
    updated_at      BIGINT NOT NULL
);

-- Written in the transaction that causes the message; the worker sends it.
CREATE TABLE messages (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- To a member (their inbox, email, phone), or to a staff account's email.
    member_id        BIGINT REFERENCES members (id),
    user_id          BIGINT REFERENCES users (id),
    program_id       BIGINT REFERENCES programs (id),
    channel          TEXT   NOT NULL CHECK (channel IN ('in_app', 'email', 'sms', 'push')),
    topic            TEXT   NOT NULL CHECK (topic IN ('service', 'offers', 'reminders', 'surveys')),
    -- What caused it: password_reset, password_changed, email_changed, ...
    kind             TEXT   NOT NULL,
    if_limited       TEXT   NOT NULL CHECK (if_limited IN ('defer', 'drop')),
    -- The email address or phone number at the time of writing ('' for the inbox).
    recipient        TEXT   NOT NULL,
    language         TEXT   NOT NULL,
    subject          TEXT   NOT NULL,
    body             TEXT   NOT NULL,
    -- A cause's own key (a journey step, a reset), so a retried cause writes one message.
    dedupe_key       TEXT   UNIQUE,
    -- SHA-256 of the one-click unsubscribe token in the email's List-Unsubscribe header.
    unsubscribe_hash TEXT   UNIQUE,
    status           TEXT   NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'suppressed')),
    -- Why it was last held back (still pending) or why it was suppressed.
    reason           TEXT,
    held             BIGINT NOT NULL DEFAULT 0,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    last_status_code BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT,
    read_at          BIGINT
);
CREATE INDEX messages_due ON messages (status, next_attempt_at);
CREATE INDEX messages_member ON messages (member_id, channel, delivered_at);
CREATE INDEX messages_user ON messages (user_id);

-- One-time password reset links: the token is sent, only its hash kept.
CREATE TABLE password_resets (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    token_hash TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX password_resets_user ON password_resets (user_id);
