-- Foundation schema (SQLite dialect). Times are UTC seconds since the epoch (BIGINT);
-- points and money are integers (money in minor units). Keep in step with ../postgres.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'analyst', 'staff', 'member')),
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    disabled_at   BIGINT
);

CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT   NOT NULL UNIQUE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_user_id ON sessions (user_id);
-- Each sign-in sweeps expired sessions (repo/sessions.rs).
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE programs (
    id                INTEGER PRIMARY KEY,
    name              TEXT   NOT NULL UNIQUE,
    currency_name     TEXT   NOT NULL,
    currency_code     TEXT   NOT NULL,
    point_value_minor BIGINT NOT NULL CHECK (point_value_minor >= 0),
    points_per_unit   BIGINT NOT NULL CHECK (points_per_unit >= 0),
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE tiers (
    id               INTEGER PRIMARY KEY,
    program_id       BIGINT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    name             TEXT   NOT NULL,
    threshold_points BIGINT NOT NULL CHECK (threshold_points >= 0),
    multiplier_pct   BIGINT NOT NULL CHECK (multiplier_pct > 0),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CONSTRAINT tiers_program_name UNIQUE (program_id, name),
    CONSTRAINT tiers_program_threshold UNIQUE (program_id, threshold_points)
);

CREATE TABLE members (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT UNIQUE REFERENCES users (id),
    name        TEXT   NOT NULL,
    email       TEXT   UNIQUE,
    phone       TEXT   UNIQUE,
    card_number TEXT   NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE memberships (
    id              INTEGER PRIMARY KEY,
    member_id       BIGINT NOT NULL REFERENCES members (id),
    program_id      BIGINT NOT NULL REFERENCES programs (id),
    balance         BIGINT NOT NULL DEFAULT 0,
    lifetime_points BIGINT NOT NULL DEFAULT 0,
    joined_at       BIGINT NOT NULL,
    CONSTRAINT memberships_member_program UNIQUE (member_id, program_id)
);
CREATE INDEX memberships_program_joined ON memberships (program_id, joined_at);

-- Append-only: rows are inserted with the balance they leave behind, in the same transaction
-- that updates memberships.balance; the triggers below refuse any later change.
CREATE TABLE ledger_entries (
    id            INTEGER PRIMARY KEY,
    membership_id BIGINT NOT NULL REFERENCES memberships (id),
    kind          TEXT   NOT NULL,
    points        BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    channel       TEXT   NOT NULL,
    amount_minor  BIGINT,
    reference     TEXT,
    description   TEXT   NOT NULL,
    recorded_by   BIGINT REFERENCES users (id),
    request_id    TEXT,
    created_at    BIGINT NOT NULL,
    CONSTRAINT ledger_entries_request UNIQUE (membership_id, request_id)
);
CREATE INDEX ledger_entries_membership ON ledger_entries (membership_id, id);
CREATE INDEX ledger_entries_created ON ledger_entries (created_at);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;

CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;
