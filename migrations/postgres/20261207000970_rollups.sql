-- Insights' rollups: what the dashboards read instead of the ledger, folded in by one
-- worker at a time (`service::rollups`). On PostgreSQL every booking appends its transaction
-- to a queue in its own transaction (one insert, no shared row: a counter updated by every
-- booking would serialise all writers; transactions commit out of id order, so no mark
-- would do). On SQLite writers commit one at a time in id order: the worker folds what lies
-- past its marks, and bookings write nothing more. `omniloyal rollups rebuild` recomputes
-- the rollups from the ledger and reports any difference.

-- Where a transaction happened (a store named by the till, the Desk or the channel API) and
-- the order it returns part of. NULL when not known or not a return.
ALTER TABLE ledger_transactions ADD COLUMN store_id BIGINT REFERENCES stores (id);
ALTER TABLE ledger_transactions ADD COLUMN order_id BIGINT REFERENCES orders (id);
-- The order of an earning transaction, found by the rollups.
CREATE INDEX orders_transaction ON orders (transaction_id);

-- Tier changes by id as well as by name (names can be changed; the rollups file members
-- under the tier they were in when they bought). History, not a reference: a tier deleted
-- later keeps its id here, so its members' past purchases stay filed under it.
ALTER TABLE tier_changes ADD COLUMN from_tier_id BIGINT;
ALTER TABLE tier_changes ADD COLUMN to_tier_id BIGINT;
UPDATE tier_changes SET
    from_tier_id = (SELECT t.id FROM tiers t JOIN memberships m ON m.program_id = t.program_id
                    WHERE m.id = tier_changes.membership_id AND t.name = tier_changes.from_tier),
    to_tier_id = (SELECT t.id FROM tiers t JOIN memberships m ON m.program_id = t.program_id
                  WHERE m.id = tier_changes.membership_id AND t.name = tier_changes.to_tier);

-- What is still to be folded in: 'tx' (a ledger transaction) or 'join' (a membership).
CREATE TABLE rollup_queue (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source TEXT   NOT NULL CHECK (source IN ('tx', 'join')),
    ref_id BIGINT NOT NULL
);

-- One row the worker locks, so two workers never fold the same member's days at once; on
-- SQLite also the last transaction and membership folded.
CREATE TABLE rollup_state (
    id        BIGINT NOT NULL PRIMARY KEY CHECK (id = 1),
    folded    BIGINT NOT NULL DEFAULT 0,
    folded_at BIGINT,
    tx_mark   BIGINT NOT NULL DEFAULT 0,
    join_mark BIGINT NOT NULL DEFAULT 0
);
INSERT INTO rollup_state (id, folded) VALUES (1, 0);

-- The rollup tables are WITHOUT ROWID on SQLite: read by primary-key ranges, their rows sit
-- in key order (a rowid table would add a lookup per row; perf showed it).
-- Additive facts per program, UTC day, channel, store and tier (0: none). Points columns
-- follow the program accounts they move: issued and returned (issuance and campaign),
-- redeemed and unredeemed (a reward's points given back), expired, adjusted in and out.
CREATE TABLE daily_facts (
    program_id      BIGINT NOT NULL REFERENCES programs (id),
    day             BIGINT NOT NULL,
    channel         TEXT   NOT NULL,
    store_id        BIGINT NOT NULL,
    tier_id         BIGINT NOT NULL,
    orders          BIGINT NOT NULL DEFAULT 0,
    sales_minor     BIGINT NOT NULL DEFAULT 0,
    returned_minor  BIGINT NOT NULL DEFAULT 0,
    redemptions     BIGINT NOT NULL DEFAULT 0,
    enrolments      BIGINT NOT NULL DEFAULT 0,
    issued          BIGINT NOT NULL DEFAULT 0,
    -- The part of issued given for orders (what IFRS 15 allocates sales to).
    order_points    BIGINT NOT NULL DEFAULT 0,
    returned        BIGINT NOT NULL DEFAULT 0,
    redeemed        BIGINT NOT NULL DEFAULT 0,
    unredeemed      BIGINT NOT NULL DEFAULT 0,
    expired         BIGINT NOT NULL DEFAULT 0,
    adjusted_in     BIGINT NOT NULL DEFAULT 0,
    adjusted_out    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, day, channel, store_id, tier_id)
);

-- Who did what on a day, as a Roaring bitmap of member ids: 'buy' (bought), 'redeem'
-- (spent points), 'join' (joined the program). A slice is where and which tier: '*|*',
-- 'c:web|*', 's:3|2' ... so distinct members over any range and filter are exact unions.
CREATE TABLE member_days (
    program_id BIGINT NOT NULL REFERENCES programs (id),
    kind       TEXT   NOT NULL,
    slice      TEXT   NOT NULL,
    day        BIGINT NOT NULL,
    members    BYTEA  NOT NULL,
    PRIMARY KEY (program_id, kind, slice, day)
);

-- Each membership's purchase history in brief: the summary CLV models and segments read.
-- Days are UTC epoch days; sales are net of returns.
CREATE TABLE member_stats (
    membership_id    BIGINT NOT NULL PRIMARY KEY REFERENCES memberships (id),
    program_id       BIGINT NOT NULL REFERENCES programs (id),
    member_id        BIGINT NOT NULL REFERENCES members (id),
    orders           BIGINT NOT NULL DEFAULT 0,
    buy_days         BIGINT NOT NULL DEFAULT 0,
    first_buy_day    BIGINT,
    last_buy_day     BIGINT,
    sales_minor      BIGINT NOT NULL DEFAULT 0,
    first_day_minor  BIGINT NOT NULL DEFAULT 0,
    redemptions      BIGINT NOT NULL DEFAULT 0,
    last_active_day  BIGINT,
    -- Channels bought in, one bit each (store 1, web 2, app 4).
    channels         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX member_stats_program ON member_stats (program_id, last_active_day);

-- What was booked before the rollups existed is folded like anything new.
INSERT INTO rollup_queue (source, ref_id) SELECT 'tx', id FROM ledger_transactions ORDER BY id;
INSERT INTO rollup_queue (source, ref_id) SELECT 'join', id FROM memberships ORDER BY id;
