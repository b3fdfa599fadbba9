-- A demo generation's plan and how far it has come, so one that stops (a million members
-- take hours) goes on from the last hour it finished when it is run again.
CREATE TABLE demo_generations (
    program_id BIGINT PRIMARY KEY REFERENCES programs (id) ON DELETE CASCADE,
    seed BIGINT NOT NULL,
    members BIGINT NOT NULL,
    months BIGINT NOT NULL,
    start_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    -- Simulated hours lived through, from start_at.
    hours_done BIGINT NOT NULL DEFAULT 0,
    finished INTEGER NOT NULL DEFAULT 0,
    -- What the runs so far made and the time they took (`generator::Generated`, JSON).
    made TEXT NOT NULL
);
