-- When downgrades happen: "continuous" (as soon as the standing falls, as before), "monthly"
-- (at the review on the 1st of each month, UTC) or "yearly" (on 1 January). Upgrades are
-- always immediate. tiers_reviewed_at is the last scheduled review (NULL: none yet, so the
-- first is due at the first boundary after the program was created). (Same in both dialects.)
ALTER TABLE programs ADD COLUMN tier_review TEXT NOT NULL DEFAULT 'continuous';
ALTER TABLE programs ADD COLUMN tiers_reviewed_at BIGINT;
