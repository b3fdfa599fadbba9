-- Sign-ups waiting for their email address to be confirmed. Nothing is an account until
-- the link is opened: the request keeps what was typed (the password only as its hash).
-- The link's token is made when the email is sent; only its hash is kept here.
CREATE TABLE signup_requests (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT   NOT NULL,
    name          TEXT   NOT NULL,
    phone         TEXT,
    birth_date    TEXT,
    referrer      BIGINT REFERENCES members (id),
    password_hash TEXT   NOT NULL,
    locale        TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    token_hash    TEXT   UNIQUE,
    expires_at    BIGINT,
    used_at       BIGINT
);
CREATE INDEX signup_requests_email ON signup_requests (email, used_at);

-- A new sign-in email waiting to be confirmed from the new address. Once confirmed, the
-- old address is told with a link that undoes it (for a week): its own token, kept hashed.
CREATE TABLE email_changes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    new_email  TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    token_hash TEXT   UNIQUE,
    expires_at BIGINT,
    used_at    BIGINT,
    old_email  TEXT,
    undo_hash  TEXT   UNIQUE,
    undo_until BIGINT,
    undone_at  BIGINT
);
CREATE INDEX email_changes_user ON email_changes (user_id, used_at);
