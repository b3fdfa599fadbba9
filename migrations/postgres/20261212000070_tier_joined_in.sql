-- A membership's enrolment is now filed under the tier before its first change, and every
-- change from the second it joined on is a move (a welcome bonus that lifts a new member is
-- an upgrade). Before, a change in the joining second was filed as the tier joined in, which
-- went wrong when the rollups folded the enrolment before such a change was recorded (the
-- change was then neither). The enrolments and changes already folded are brought to the
-- new rule here; those still to fold follow it when they are.
CREATE TEMP TABLE joined_moved AS
SELECT m.program_id,
       m.joined_at / 86400 AS day,
       COALESCE(m.joined_channel, '') AS channel,
       COALESCE(m.joined_store_id, 0) AS store_id,
       -- Where the enrolment was filed: after the last change in or before the joining second.
       COALESCE((SELECT c.to_tier_id FROM tier_changes c
                 WHERE c.membership_id = m.id AND c.created_at <= m.joined_at
                 ORDER BY c.id DESC LIMIT 1), 0) AS was,
       -- Where it belongs: before its first change.
       COALESCE((SELECT c.from_tier_id FROM tier_changes c
                 WHERE c.membership_id = m.id ORDER BY c.id LIMIT 1), 0) AS tier_before
FROM memberships m
WHERE NOT EXISTS (SELECT 1 FROM rollup_queue q WHERE q.source = 'join' AND q.ref_id = m.id)
  AND EXISTS (SELECT 1 FROM tier_changes c WHERE c.membership_id = m.id AND c.created_at = m.joined_at)
  AND NOT EXISTS (SELECT 1 FROM tier_changes c WHERE c.membership_id = m.id AND c.created_at < m.joined_at);

INSERT INTO daily_facts (program_id, day, channel, store_id, tier_id, enrolments)
SELECT program_id, day, channel, store_id, was, -COUNT(*) FROM joined_moved
WHERE was <> tier_before GROUP BY program_id, day, channel, store_id, was
ON CONFLICT (program_id, day, channel, store_id, tier_id)
DO UPDATE SET enrolments = daily_facts.enrolments + excluded.enrolments;

INSERT INTO daily_facts (program_id, day, channel, store_id, tier_id, enrolments)
SELECT program_id, day, channel, store_id, tier_before, COUNT(*) FROM joined_moved
WHERE was <> tier_before GROUP BY program_id, day, channel, store_id, tier_before
ON CONFLICT (program_id, day, channel, store_id, tier_id)
DO UPDATE SET enrolments = daily_facts.enrolments + excluded.enrolments;

DROP TABLE joined_moved;

-- The changes of the joining second already folded (and so left out) become moves.
INSERT INTO tier_moves (program_id, day, from_tier_id, to_tier_id, up, moves)
SELECT m.program_id, c.created_at / 86400, COALESCE(c.from_tier_id, 0), COALESCE(c.to_tier_id, 0),
       CASE WHEN c.direction = 'up' THEN 1 ELSE 0 END, COUNT(*)
FROM tier_changes c JOIN memberships m ON m.id = c.membership_id
WHERE c.created_at = m.joined_at AND NOT EXISTS (SELECT 1 FROM rollup_queue q WHERE q.source = 'tier' AND q.ref_id = c.id)
GROUP BY m.program_id, c.created_at / 86400, COALESCE(c.from_tier_id, 0), COALESCE(c.to_tier_id, 0),
         CASE WHEN c.direction = 'up' THEN 1 ELSE 0 END
ON CONFLICT (program_id, day, from_tier_id, to_tier_id, up)
DO UPDATE SET moves = tier_moves.moves + excluded.moves;
