-- Segments: a program's named groups of members, defined by conditions (model::segment::
-- Definition as JSON) and evaluated from the member summaries. Deleting one keeps its row
-- (and its members' history) with deleted_at set, so reports on past days still read it.
CREATE TABLE segments (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id   BIGINT NOT NULL REFERENCES programs (id),
    name         TEXT   NOT NULL,
    definition   TEXT   NOT NULL,
    -- Members in it after the last evaluation.
    members      BIGINT NOT NULL DEFAULT 0,
    refreshed_at BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    deleted_at   BIGINT
);
CREATE UNIQUE INDEX segments_name ON segments (program_id, name) WHERE deleted_at IS NULL;

-- Who was in a segment when: a span per stay, open (left_at NULL) while the member is in it.
CREATE TABLE segment_spans (
    segment_id    BIGINT NOT NULL REFERENCES segments (id),
    membership_id BIGINT NOT NULL REFERENCES memberships (id),
    entered_at    BIGINT NOT NULL,
    left_at       BIGINT,
    PRIMARY KEY (segment_id, membership_id, entered_at)
);
-- A member's segments now (the booking pipeline's read), and a segment's members now (a
-- refresh's): both only over open spans.
CREATE INDEX segment_spans_member ON segment_spans (membership_id, segment_id) WHERE left_at IS NULL;
CREATE INDEX segment_spans_open ON segment_spans (segment_id, membership_id) WHERE left_at IS NULL;

-- Per program: the RFM cuts of the last full refresh (domain::segments::RfmCuts as JSON),
-- used by every evaluation until the next, and the fold count the summaries were last
-- looked at for members whose standing changed since.
CREATE TABLE segment_state (
    program_id   BIGINT NOT NULL PRIMARY KEY REFERENCES programs (id),
    cuts         TEXT   NOT NULL,
    fold_seq     BIGINT NOT NULL,
    refreshed_at BIGINT NOT NULL
);

-- Orders over a window: the program's (a full evaluation) and a member's (re-evaluating the
-- members whose standing changed).
CREATE INDEX orders_program_time ON orders (program_id, created_at);
CREATE INDEX orders_membership_time ON orders (membership_id, created_at);
