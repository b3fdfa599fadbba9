-- What a program's messages say (model::template): one template per name, channel and
-- language, written in minijinja with member fields, checked when saved.
CREATE TABLE message_templates (
    id         INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    name       TEXT   NOT NULL,
    channel    TEXT   NOT NULL CHECK (channel IN ('in_app', 'email', 'sms', 'push')),
    language   TEXT   NOT NULL CHECK (language IN ('en', 'ar')),
    subject    TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT message_templates_name UNIQUE (program_id, name, channel, language)
);
