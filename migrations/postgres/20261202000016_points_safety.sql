-- Points safety (PostgreSQL dialect; keep in step with ../sqlite): throttled secrets,
-- adjustments above a program's limit waiting for an admin, birthdays celebrated only for
-- dates on file in time, the desk's last program per user.

-- Wrong guesses at a short secret ("pin:<issued reward id>", "card:<number>"): after a
-- few in a row it is locked until `locked_until` (see repo::attempts).
CREATE TABLE guess_attempts (
    subject      TEXT   PRIMARY KEY,
    failures     BIGINT NOT NULL,
    locked_until BIGINT,
    updated_at   BIGINT NOT NULL
);

-- The most points staff (or a channel key) may give or take in one adjustment; above it an
-- admin approves. NULL: no limit but the absolute 10,000,000.
ALTER TABLE programs ADD COLUMN adjust_limit BIGINT CHECK (adjust_limit IS NULL OR adjust_limit > 0);

-- Adjustments waiting for (or decided by) an admin.
CREATE TABLE adjustment_requests (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id     BIGINT NOT NULL REFERENCES programs (id),
    membership_id  BIGINT NOT NULL REFERENCES memberships (id),
    points         BIGINT NOT NULL CHECK (points <> 0),
    reason         TEXT   NOT NULL,
    request_id     TEXT   NOT NULL,
    requested_by   BIGINT REFERENCES users (id),
    requested_at   BIGINT NOT NULL,
    status         TEXT   NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by     BIGINT REFERENCES users (id),
    decided_at     BIGINT,
    transaction_id BIGINT REFERENCES ledger_transactions (id),
    CONSTRAINT adjustment_requests_request UNIQUE (membership_id, request_id)
);
CREATE INDEX adjustment_requests_status ON adjustment_requests (status, id);

-- When the member last set (or changed) their date of birth: a birthday is celebrated only
-- for a date on file 30 days before it (domain::birthdays::celebrated).
ALTER TABLE members ADD COLUMN birth_date_set_at BIGINT;

-- The program a desk user last booked in: the desk's program select starts there.
ALTER TABLE users ADD COLUMN desk_program_id BIGINT REFERENCES programs (id);
