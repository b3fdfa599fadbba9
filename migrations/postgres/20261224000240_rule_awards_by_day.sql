-- What rules gave, as caps and campaign reports read it: one row per membership, local month,
-- rule and local day, added to as orders earn, instead of a row per order. A booking that ten
-- campaign rules earn under wrote ten rows an order, each an entry in two indexes spread over
-- the members; the totals are all anyone reads (`awards` counts once-only bonuses).
CREATE TABLE rule_awards_by_day (
    membership_id  BIGINT NOT NULL REFERENCES memberships (id),
    month          BIGINT NOT NULL,
    rule_id        BIGINT NOT NULL REFERENCES earning_rules (id) ON DELETE CASCADE,
    day            BIGINT NOT NULL,
    points         BIGINT NOT NULL,
    awards         BIGINT NOT NULL,
    PRIMARY KEY (membership_id, month, rule_id, day)
);
INSERT INTO rule_awards_by_day (membership_id, month, rule_id, day, points, awards)
SELECT membership_id, month, rule_id, day, SUM(points), COUNT(*) FROM rule_awards
GROUP BY membership_id, month, rule_id, day;
DROP TABLE rule_awards;
ALTER TABLE rule_awards_by_day RENAME TO rule_awards;
ALTER INDEX rule_awards_by_day_pkey RENAME TO rule_awards_pkey;
CREATE INDEX rule_awards_rule ON rule_awards (rule_id, membership_id);
ALTER TABLE rule_awards RENAME CONSTRAINT rule_awards_by_day_membership_id_fkey TO rule_awards_membership_id_fkey;
ALTER TABLE rule_awards RENAME CONSTRAINT rule_awards_by_day_rule_id_fkey TO rule_awards_rule_id_fkey;
