-- Moves between tiers per program, UTC day, from and to (0: no tier) and direction, folded
-- by the rollups worker from tier_changes: those after a membership's joining second (a
-- change in that second is the tier it joined in, which the daily facts' enrolments hold).
-- With the enrolments they give the Tiers page its members per tier over time without
-- reading every membership; merged memberships are taken out when the page is read. Tiers
-- are not referenced: a deleted tier's history stays.
CREATE TABLE tier_moves (
    program_id   BIGINT NOT NULL REFERENCES programs (id),
    day          BIGINT NOT NULL,
    from_tier_id BIGINT NOT NULL,
    to_tier_id   BIGINT NOT NULL,
    up           BIGINT NOT NULL,
    moves        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, day, from_tier_id, to_tier_id, up)
) WITHOUT ROWID;

-- The last tier change folded: SQLite's writers commit one at a time in id order, so the
-- worker folds what lies past it (the changes already recorded, once, after this migration).
-- PostgreSQL queues them instead ('tier' in rollup_queue, whose CHECK is PostgreSQL's only:
-- nothing is queued on SQLite).
ALTER TABLE rollup_state ADD COLUMN tier_mark BIGINT NOT NULL DEFAULT 0;
