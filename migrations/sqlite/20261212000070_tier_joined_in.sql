-- A membership's enrolment is now filed under the tier before its first change, and every
-- change is a move (one in the joining second, such as a welcome bonus that lifts a new
-- member, is an upgrade; one stamped before the joining second by a server whose clock runs
-- behind moves it when it joined). Before, a change in the joining second was filed as the
-- tier joined in, which went wrong when the rollups folded the enrolment before the change
-- was recorded. Which of the two happened cannot be told from what is stored, so the
-- enrolments and moves already folded are counted again here from the memberships and
-- changes; those still to fold follow the new rule when they are.

-- Takes the rollups' lock: a fold under way finishes first, and one that read before this
-- reads again (the fold count it saw has changed).
UPDATE rollup_state SET folded = folded + 1 WHERE id = 1;

UPDATE daily_facts SET enrolments = 0 WHERE enrolments <> 0;

INSERT INTO daily_facts (program_id, day, channel, store_id, tier_id, enrolments)
SELECT m.program_id,
       m.joined_at / 86400,
       COALESCE(m.joined_channel, ''),
       COALESCE(m.joined_store_id, 0),
       CASE WHEN EXISTS (SELECT 1 FROM tier_changes c WHERE c.membership_id = m.id)
            THEN COALESCE((SELECT c.from_tier_id FROM tier_changes c
                           WHERE c.membership_id = m.id ORDER BY c.id LIMIT 1), 0)
            ELSE COALESCE(m.tier_id, 0) END,
       COUNT(*)
FROM memberships m
WHERE m.id <= (SELECT join_mark FROM rollup_state)
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (program_id, day, channel, store_id, tier_id)
DO UPDATE SET enrolments = excluded.enrolments;

DELETE FROM tier_moves;

INSERT INTO tier_moves (program_id, day, from_tier_id, to_tier_id, up, moves)
SELECT m.program_id,
       MAX(c.created_at, m.joined_at) / 86400,
       COALESCE(c.from_tier_id, 0),
       COALESCE(c.to_tier_id, 0),
       CASE WHEN c.direction = 'up' THEN 1 ELSE 0 END,
       COUNT(*)
FROM tier_changes c JOIN memberships m ON m.id = c.membership_id
WHERE c.id <= (SELECT tier_mark FROM rollup_state)
GROUP BY 1, 2, 3, 4, 5;
