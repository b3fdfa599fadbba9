-- A reward may cost 0 points: a tier's perk, or a stamp card's reward that is not also sold
-- for points (SQLite dialect; keep in step with ../postgres). SQLite cannot change a CHECK in
-- place, so the table is made again inside this migration's transaction: its rows are set
-- aside, the table dropped and created with the new check, the rows put back with their
-- ids. Foreign keys are deferred to the commit meanwhile, where every reference to a reward
-- (codes, pool codes, stamp cards) is checked again and finds its row.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE rewards_set_aside AS SELECT * FROM rewards;
DROP TABLE rewards;
CREATE TABLE rewards (
    id               INTEGER PRIMARY KEY,
    program_id       BIGINT NOT NULL REFERENCES programs (id),
    name             TEXT   NOT NULL,
    description      TEXT   NOT NULL DEFAULT '',
    -- discount_fixed | discount_percent | voucher | free_product | gift_card | entitlement
    kind             TEXT   NOT NULL,
    cost_points      BIGINT NOT NULL CHECK (cost_points >= 0),
    -- Money value in minor units (fixed discount, gift card) or percent (discount_percent).
    value            BIGINT NOT NULL DEFAULT 0,
    sku              TEXT,
    -- NULL: unlimited. `issued` counts rewards handed out and not released.
    stock            BIGINT CHECK (stock >= 0),
    issued           BIGINT NOT NULL DEFAULT 0,
    per_member_limit BIGINT CHECK (per_member_limit > 0),
    valid_from       BIGINT,
    valid_until      BIGINT,
    min_tier_id      BIGINT REFERENCES tiers (id) ON DELETE SET NULL,
    -- Space-separated channels where the reward can be used; empty = everywhere.
    channels         TEXT   NOT NULL DEFAULT '',
    -- Days an issued code stays usable.
    code_valid_days  BIGINT NOT NULL DEFAULT 30 CHECK (code_valid_days > 0),
    -- Codes come from reward_pool_codes instead of being generated.
    uses_pool        BIGINT NOT NULL DEFAULT 0,
    active           BIGINT NOT NULL DEFAULT 1,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CONSTRAINT rewards_program_name UNIQUE (program_id, name),
    CONSTRAINT rewards_stock CHECK (stock IS NULL OR issued <= stock)
);
INSERT INTO rewards SELECT * FROM temp.rewards_set_aside;
DROP TABLE temp.rewards_set_aside;
CREATE TRIGGER rewards_setup_update AFTER UPDATE OF name ON rewards
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;
CREATE TRIGGER rewards_setup_delete AFTER DELETE ON rewards
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;
