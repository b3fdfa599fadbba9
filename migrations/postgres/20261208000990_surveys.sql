-- Surveys: a program asks its members the NPS question (0-10, with an optional comment) once,
-- or once a month, quarter or year. Members answer on the portal; channels post `survey`
-- events with a score through the API. The Satisfaction dashboard reads the answers.
-- A program has at most one open survey: opening one closes the one before.
CREATE TABLE surveys (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    question   TEXT   NOT NULL,
    -- 'once', 'month', 'quarter' or 'year': how often a member may answer.
    frequency  TEXT   NOT NULL CHECK (frequency IN ('once', 'month', 'quarter', 'year')),
    active     BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    closed_at  BIGINT
);
CREATE INDEX surveys_program ON surveys (program_id, active);
CREATE UNIQUE INDEX surveys_one_open ON surveys (program_id) WHERE active = 1;

-- One answer per membership per survey per period ('once', '2026-12', '2026-Q4', '2026':
-- the UTC period of answered_at). Channel, store and tier are those of the answer, as the
-- rollups keep them for bookings: the dashboard slices by them without joins.
CREATE TABLE survey_answers (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    survey_id      BIGINT NOT NULL REFERENCES surveys (id),
    program_id     BIGINT NOT NULL REFERENCES programs (id),
    membership_id  BIGINT NOT NULL REFERENCES memberships (id),
    period         TEXT   NOT NULL,
    score          BIGINT NOT NULL CHECK (score BETWEEN 0 AND 10),
    comment        TEXT,
    channel        TEXT   NOT NULL,
    store_id       BIGINT REFERENCES stores (id),
    tier_id        BIGINT,
    -- The ledger transaction of the survey event (its points, possibly none).
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    answered_at    BIGINT NOT NULL,
    CONSTRAINT survey_answers_once UNIQUE (survey_id, membership_id, period)
);
CREATE INDEX survey_answers_program_time ON survey_answers (program_id, answered_at);
CREATE INDEX survey_answers_time ON survey_answers (answered_at);
