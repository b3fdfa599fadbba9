-- The fold that last wrote each member summary (rollup_state.folded once it committed): the
-- Channels page keeps every member's lifetime value in memory and reads only the summaries
-- written since it last looked, instead of every active member's on each view. Its old
-- covering index (member_stats_active) has no reader left.
ALTER TABLE member_stats ADD COLUMN fold_seq BIGINT NOT NULL DEFAULT 0;
DROP INDEX member_stats_active;
CREATE INDEX member_stats_folded ON member_stats (program_id, fold_seq);
