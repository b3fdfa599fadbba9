-- One customer value fit per program at a time (two servers both fit when they start, and
-- their writes would interleave), each fit numbered: a fit stamps its number on the
-- predictions it writes, then removes the program's predictions with another number (of
-- memberships merged away since) in one statement, instead of reading every id first.
CREATE TABLE clv_runs (
    program_id BIGINT NOT NULL PRIMARY KEY REFERENCES programs (id),
    -- The last fit's number.
    run        BIGINT NOT NULL,
    -- Wall-clock second the running fit started, 0 when none runs; a claim older than an
    -- hour is a fit whose server died, and the next fit takes it over.
    claimed_at BIGINT NOT NULL
);
ALTER TABLE member_predictions ADD COLUMN fit_run BIGINT NOT NULL DEFAULT 0;
