-- Rewards catalogue and issued rewards (PostgreSQL dialect; keep in step with ../sqlite).

CREATE TABLE rewards (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id       BIGINT NOT NULL REFERENCES programs (id),
    name             TEXT   NOT NULL,
    description      TEXT   NOT NULL DEFAULT '',
    -- discount_fixed | discount_percent | voucher | free_product | gift_card | entitlement
    kind             TEXT   NOT NULL,
    cost_points      BIGINT NOT NULL CHECK (cost_points > 0),
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

-- Codes supplied by a partner (e.g. cinema vouchers), handed out one per redemption.
CREATE TABLE reward_pool_codes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reward_id  BIGINT NOT NULL REFERENCES rewards (id),
    code       TEXT   NOT NULL,
    issued_id  BIGINT,
    CONSTRAINT reward_pool_codes_code UNIQUE (reward_id, code)
);
CREATE INDEX reward_pool_codes_free ON reward_pool_codes (reward_id, issued_id);

-- A reward in a member's hands: reserved at a checkout, issued, used, released or expired.
CREATE TABLE issued_rewards (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reward_id      BIGINT NOT NULL REFERENCES rewards (id),
    membership_id  BIGINT NOT NULL REFERENCES memberships (id),
    code           TEXT   NOT NULL UNIQUE,
    pin            TEXT   NOT NULL,
    status         TEXT   NOT NULL CHECK (status IN ('reserved', 'issued', 'used', 'released', 'expired')),
    points         BIGINT NOT NULL,
    value          BIGINT NOT NULL,
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    reserved_until BIGINT,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    used_channel   TEXT,
    request_id     TEXT,
    created_at     BIGINT NOT NULL,
    CONSTRAINT issued_rewards_request UNIQUE (membership_id, request_id)
);
CREATE INDEX issued_rewards_member ON issued_rewards (membership_id, reward_id, status);
CREATE INDEX issued_rewards_reserved ON issued_rewards (status, reserved_until);
