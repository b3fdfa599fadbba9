-- Rewards redeemed per program, UTC day of the redemption, reward and where it was redeemed
-- (its transaction's channel and store; '' and 0 for a reward that moved no points), with
-- how many of them have been used or ran out since, the points they cost and their value
-- (money for the money kinds, which the page shows by the reward's kind now): the Rewards
-- page's counts without reading every redemption of the range.
CREATE TABLE reward_days (
    program_id       BIGINT NOT NULL REFERENCES programs (id),
    day              BIGINT NOT NULL,
    reward_id        BIGINT NOT NULL REFERENCES rewards (id),
    channel          TEXT   NOT NULL,
    store_id         BIGINT NOT NULL,
    redemptions      BIGINT NOT NULL DEFAULT 0,
    used             BIGINT NOT NULL DEFAULT 0,
    expired          BIGINT NOT NULL DEFAULT 0,
    points           BIGINT NOT NULL DEFAULT 0,
    value_minor      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, day, reward_id, channel, store_id)
);

-- The status an issued reward had when it was last folded into reward_days (NULL: never).
-- Every change of status leaves it behind, so the worker finds what to fold without a queue
-- (through the partial index, which holds only those rows); those already issued are
-- folded once by the worker after this migration.
ALTER TABLE issued_rewards ADD COLUMN folded TEXT;
CREATE INDEX issued_rewards_unfolded ON issued_rewards (id) WHERE folded IS DISTINCT FROM status;
