-- A reward may be offered only to the members of a segment (model::reward::Reward::segment_id):
-- others do not see it in the catalogue and cannot redeem it. A segment a reward names cannot
-- be deleted (service::segments::delete), so the index serves that check.
ALTER TABLE rewards ADD COLUMN segment_id BIGINT REFERENCES segments (id);
CREATE INDEX rewards_segment ON rewards (segment_id) WHERE segment_id IS NOT NULL;
