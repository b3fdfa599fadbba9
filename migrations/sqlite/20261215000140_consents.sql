-- Consent to hear from the brand (model::consent): the consents a member holds now, one bit
-- per name (email 1, sms 2, push 4, in_app 8, offers 16, reminders 32, surveys 64), and
-- every change with when, how and by whom. Opt-in: a member holds the portal's inbox (8)
-- until they choose otherwise.
ALTER TABLE members ADD COLUMN consents BIGINT NOT NULL DEFAULT 8;

CREATE TABLE consent_changes (
    id         INTEGER PRIMARY KEY,
    member_id  BIGINT NOT NULL REFERENCES members (id),
    name       TEXT   NOT NULL CHECK (name IN ('email', 'sms', 'push', 'in_app', 'offers', 'reminders', 'surveys')),
    granted    BIGINT NOT NULL CHECK (granted IN (0, 1)),
    source     TEXT   NOT NULL CHECK (source IN ('portal', 'api', 'desk', 'unsubscribe')),
    -- Staff who recorded it at the Desk, or the API key a channel used.
    user_id    BIGINT REFERENCES users (id),
    api_key_id BIGINT REFERENCES api_keys (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX consent_changes_member ON consent_changes (member_id, id);
CREATE TRIGGER consent_changes_no_update BEFORE UPDATE ON consent_changes
BEGIN SELECT RAISE(ABORT, 'consent_changes is append-only'); END;
CREATE TRIGGER consent_changes_no_delete BEFORE DELETE ON consent_changes
BEGIN SELECT RAISE(ABORT, 'consent_changes is append-only'); END;
