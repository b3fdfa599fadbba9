-- Push devices (issue 19): a program's app registers each device's push token for its member
-- over the channel API; the program's push messages go to every device the member has for it
-- when they are sent. Devices are a program's own (its key sees and sends to no other's); a
-- token belongs to one member at a time (a phone that changes hands moves to its new owner).
CREATE TABLE push_devices (
    id           INTEGER PRIMARY KEY,
    program_id   BIGINT NOT NULL REFERENCES programs (id),
    member_id    BIGINT NOT NULL REFERENCES members (id),
    token        TEXT   NOT NULL,
    platform     TEXT   NOT NULL CHECK (platform IN ('ios', 'android', 'web')),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX push_devices_token ON push_devices (program_id, token);
CREATE INDEX push_devices_member ON push_devices (member_id, program_id, last_seen_at);
