-- A reward may cost 0 points: a tier's perk, or a stamp card's reward that is not also sold
-- for points (PostgreSQL dialect; keep in step with ../sqlite).
ALTER TABLE rewards DROP CONSTRAINT rewards_cost_points_check;
ALTER TABLE rewards ADD CONSTRAINT rewards_cost_points_check CHECK (cost_points >= 0);
