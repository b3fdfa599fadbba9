-- Push devices (issue 19): the app registers each device's push token for its member over the
-- channel API; push messages go to every device the member has when they are sent. A token
-- belongs to one member at a time (a phone that changes hands moves with its new owner).
CREATE TABLE push_devices (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id    BIGINT NOT NULL REFERENCES members (id),
    token        TEXT   NOT NULL,
    platform     TEXT   NOT NULL CHECK (platform IN ('ios', 'android', 'web')),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX push_devices_token ON push_devices (token);
CREATE INDEX push_devices_member ON push_devices (member_id, last_seen_at);
