-- A campaign budget is split into eight slots whose allowances add up to the budget. A
-- booking charges its membership's slot, so concurrent bookings of different members do
-- not queue on one row until each commits (on PostgreSQL that row turned every budgeted
-- booking of a program into a single file). No slot uses more than its allowance, so the
-- rule never gives more than its budget; what it gave is the sum of its slots' use.
CREATE TABLE budget_slots (
    rule_id   BIGINT NOT NULL REFERENCES earning_rules (id) ON DELETE CASCADE,
    slot      BIGINT NOT NULL CHECK (slot >= 0 AND slot < 8),
    allowance BIGINT NOT NULL,
    used      BIGINT NOT NULL DEFAULT 0 CHECK (used >= 0),
    PRIMARY KEY (rule_id, slot),
    CONSTRAINT budget_slots_within CHECK (used <= allowance)
);

-- Existing budgets: what was used goes to slot 0, the rest is shared out evenly (the
-- remainder of the division to slot 0 as well). A rule whose budget was removed keeps
-- what it used, in case the budget comes back.
INSERT INTO budget_slots (rule_id, slot, allowance, used)
SELECT r.id, s.slot,
       CASE WHEN s.slot = 0
            THEN COALESCE(r.budget_points, r.budget_used)
                 - 7 * ((COALESCE(r.budget_points, r.budget_used) - r.budget_used) / 8)
            ELSE (COALESCE(r.budget_points, r.budget_used) - r.budget_used) / 8 END,
       CASE WHEN s.slot = 0 THEN r.budget_used ELSE 0 END
FROM earning_rules r
CROSS JOIN (SELECT 0 AS slot UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3
            UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7) s
WHERE r.budget_points IS NOT NULL OR r.budget_used > 0;

-- earning_rules.budget_used is no longer kept (it stays 0).
UPDATE earning_rules SET budget_used = 0;
