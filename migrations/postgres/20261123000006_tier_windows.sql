-- Tier qualification windows and recorded tier changes (PostgreSQL; keep in step with ../sqlite).

-- 'lifetime' | 'calendar_year' (a tier earned in a year is kept through the next) |
-- 'rolling_12m' (points or spend of the last 365 days).
ALTER TABLE programs ADD COLUMN tier_window TEXT NOT NULL DEFAULT 'lifetime';
-- 'points' (points earned) | 'spend' (money spent; thresholds read as whole currency units).
ALTER TABLE programs ADD COLUMN tier_basis TEXT NOT NULL DEFAULT 'points';

-- The tier a member holds, kept (not derived), so upgrades are immediate and downgrades
-- wait for the scheduled re-evaluation.
ALTER TABLE memberships ADD COLUMN tier_id BIGINT REFERENCES tiers (id) ON DELETE SET NULL;

CREATE TABLE tier_changes (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    membership_id BIGINT NOT NULL REFERENCES memberships (id),
    from_tier     TEXT,
    to_tier       TEXT,
    direction     TEXT   NOT NULL CHECK (direction IN ('up', 'down')),
    reason        TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX tier_changes_membership ON tier_changes (membership_id, id);

UPDATE memberships SET tier_id = (
    SELECT t.id FROM tiers t
    WHERE t.program_id = memberships.program_id AND t.threshold_points <= memberships.lifetime_points
    ORDER BY t.threshold_points DESC LIMIT 1
);
