-- Memberships merged into another before merges took them out of their journeys: their
-- active entries exit now, as a merge does, so the worker stops trying to move them.
UPDATE journey_entries
SET state = 'exited', step_id = NULL, due_at = NULL, left_at = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), note = 'merged'
WHERE state = 'active'
  AND membership_id IN (SELECT id FROM memberships WHERE merged_into IS NOT NULL);
