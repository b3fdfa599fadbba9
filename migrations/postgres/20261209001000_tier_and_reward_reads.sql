-- Indexes in the shape of the Tiers and Rewards pages' reads (same in both dialects).
-- Tiers counts a program's memberships in place (not merged away) by join day and tier held:
-- the index answers it alone, without reading a membership row.
CREATE INDEX memberships_program_tier ON memberships (program_id, merged_into, joined_at, tier_id);
-- Rewards reads each reward's redemptions in a range.
CREATE INDEX issued_rewards_created ON issued_rewards (reward_id, created_at);
