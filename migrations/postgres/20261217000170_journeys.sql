-- Journeys (issue 19): always-on automations. A journey's trigger lets members in; each
-- member's entry keeps the step it is at, so a restart or a second server never runs a step
-- twice (the step's effects and the entry's move commit together).

CREATE TABLE journeys (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id   BIGINT NOT NULL REFERENCES programs (id),
    name         TEXT   NOT NULL,
    -- model::journey::Trigger's kind, and its number of days where it takes one.
    trigger_kind TEXT   NOT NULL,
    trigger_days BIGINT,
    -- 1: a member who left may enter again on a new occasion (never twice at once).
    reentry      BIGINT NOT NULL DEFAULT 0,
    goal         TEXT   NOT NULL DEFAULT 'none' CHECK (goal IN ('none', 'purchase')),
    -- JSON of the steps (model::journey::Step), checked when saved.
    steps        TEXT   NOT NULL,
    -- The highest step id ever given: new steps count on from it, so an entry at a removed
    -- step never lands on a new one.
    last_step_id BIGINT NOT NULL DEFAULT 0,
    status       TEXT   NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused')),
    -- Events up to this time were looked at for entries (set when the journey is started,
    -- so members who joined before do not flood in).
    watermark    BIGINT NOT NULL DEFAULT 0,
    -- The program's local day (days since 1970) whose state triggers were last evaluated.
    evaluated_day BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    CONSTRAINT journeys_name UNIQUE (program_id, name)
);

-- One member's way through a journey. `occasion` is what let them in ('once' when re-entry
-- is off), so each occasion enters once.
CREATE TABLE journey_entries (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    journey_id    BIGINT NOT NULL REFERENCES journeys (id),
    membership_id BIGINT NOT NULL REFERENCES memberships (id),
    occasion      TEXT   NOT NULL,
    state         TEXT   NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'done', 'converted', 'exited')),
    -- The step it is at (the steps' own ids), NULL once it left.
    step_id       BIGINT,
    -- When the step is next looked at (a wait's end); NULL once it left.
    due_at        BIGINT,
    -- When the step it is at began (a wait for a purchase counts purchases from then).
    step_at       BIGINT NOT NULL,
    entered_at    BIGINT NOT NULL,
    left_at       BIGINT,
    -- Why it left early (a step that could not run, the journey's steps changed).
    note          TEXT,
    -- The reward a step gave, which later messages name as {{ offer }}.
    offer         TEXT,
    CONSTRAINT journey_entries_once UNIQUE (journey_id, membership_id, occasion)
);
CREATE INDEX journey_entries_due ON journey_entries (state, due_at);
CREATE INDEX journey_entries_journey ON journey_entries (journey_id, state, step_id);
CREATE INDEX journey_entries_membership ON journey_entries (membership_id, journey_id, state);
-- A member is at most once in a journey at a time, however many occasions arrive together or
-- however many workers let them in.
CREATE UNIQUE INDEX journey_entries_one_active ON journey_entries (journey_id, membership_id) WHERE state = 'active';

-- Each step an entry passed and how (the report's counts): forward-only steps pass once.
CREATE TABLE journey_passes (
    entry_id   BIGINT NOT NULL REFERENCES journey_entries (id),
    step_id    BIGINT NOT NULL,
    journey_id BIGINT NOT NULL REFERENCES journeys (id),
    outcome    TEXT   NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (entry_id, step_id)
);
CREATE INDEX journey_passes_journey ON journey_passes (journey_id, step_id, outcome);

-- The journey a message came from, for its report.
ALTER TABLE messages ADD COLUMN journey_id BIGINT REFERENCES journeys (id);
CREATE INDEX messages_journey ON messages (journey_id, status);

-- Upgrades since a time (the VIP welcome's trigger).
CREATE INDEX tier_changes_time ON tier_changes (created_at);
