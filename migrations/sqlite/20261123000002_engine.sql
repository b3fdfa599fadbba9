-- The loyalty engine (SQLite dialect; keep in step with ../postgres).
--
-- Double-entry ledger: every movement of points is one row of ledger_transactions with two or
-- more ledger_postings that sum to zero. Member-side accounts are the wallet (spendable) and
-- pending (held for a return window); program-side accounts are issuance, campaign (issuance
-- charged to a rule's budget), redemption, expiry and adjustment. Member-side balances live on
-- memberships, program-side ones on program_accounts, both moved in the transaction that
-- appends the postings. Both ledger tables are append-only.

ALTER TABLE programs ADD COLUMN active BIGINT NOT NULL DEFAULT 1;
-- 'none' | 'fixed' (lots expire expiry_months after earning) | 'inactivity' (all lots expire
-- expiry_months after the member's last earn or spend).
ALTER TABLE programs ADD COLUMN expiry_mode TEXT NOT NULL DEFAULT 'none';
ALTER TABLE programs ADD COLUMN expiry_months BIGINT NOT NULL DEFAULT 0;
-- Purchase points are held this many days (the return window) before they can be spent.
ALTER TABLE programs ADD COLUMN pending_days BIGINT NOT NULL DEFAULT 0;
-- Whether a return may claw back more than the member still has.
ALTER TABLE programs ADD COLUMN allow_negative BIGINT NOT NULL DEFAULT 0;

ALTER TABLE memberships ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN last_activity_at BIGINT;

CREATE TABLE ledger_transactions (
    id            INTEGER PRIMARY KEY,
    program_id    BIGINT NOT NULL REFERENCES programs (id),
    membership_id BIGINT REFERENCES memberships (id),
    kind          TEXT   NOT NULL,
    channel       TEXT   NOT NULL,
    amount_minor  BIGINT,
    reference     TEXT,
    description   TEXT   NOT NULL,
    -- JSON of the rule evaluation (model::rules::Award) for earnings.
    explanation   TEXT,
    -- Why an admin or staff member adjusted by hand (required for adjustments).
    reason        TEXT,
    recorded_by   BIGINT REFERENCES users (id),
    request_id    TEXT,
    created_at    BIGINT NOT NULL,
    CONSTRAINT ledger_transactions_request UNIQUE (membership_id, request_id)
);
CREATE INDEX ledger_transactions_membership ON ledger_transactions (membership_id, id);
CREATE INDEX ledger_transactions_program_created ON ledger_transactions (program_id, created_at);

CREATE TABLE ledger_postings (
    id             INTEGER PRIMARY KEY,
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    program_id     BIGINT NOT NULL REFERENCES programs (id),
    account        TEXT   NOT NULL CHECK (account IN
        ('wallet', 'pending', 'issuance', 'campaign', 'redemption', 'expiry', 'adjustment')),
    membership_id  BIGINT REFERENCES memberships (id),
    rule_id        BIGINT,
    points         BIGINT NOT NULL,
    -- The member-side account's balance after this posting (NULL for program accounts).
    balance_after  BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX ledger_postings_transaction ON ledger_postings (transaction_id);
CREATE INDEX ledger_postings_membership ON ledger_postings (membership_id, account, id);
CREATE INDEX ledger_postings_program_account ON ledger_postings (program_id, account, created_at);

CREATE TABLE program_accounts (
    program_id BIGINT NOT NULL REFERENCES programs (id),
    account    TEXT   NOT NULL,
    balance    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, account)
);

CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'ledger_transactions is append-only'); END;
CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'ledger_transactions is append-only'); END;
CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger_postings is append-only'); END;
CREATE TRIGGER ledger_postings_no_delete BEFORE DELETE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger_postings is append-only'); END;

-- Spendable points by when they were earned and when they expire. `remaining` is consumed
-- earliest expiry first; the sum of remaining equals the wallet when it is not negative.
CREATE TABLE point_lots (
    id             INTEGER PRIMARY KEY,
    membership_id  BIGINT NOT NULL REFERENCES memberships (id),
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    points         BIGINT NOT NULL CHECK (points > 0),
    remaining      BIGINT NOT NULL CHECK (remaining >= 0),
    earned_at      BIGINT NOT NULL,
    expires_at     BIGINT
);
CREATE INDEX point_lots_open ON point_lots (membership_id, remaining, expires_at);
CREATE INDEX point_lots_expiry ON point_lots (expires_at, remaining);

-- Points held for the return window. Released into the wallet (as a lot) at release_at,
-- or reduced by returns before that.
CREATE TABLE pending_points (
    id             INTEGER PRIMARY KEY,
    membership_id  BIGINT NOT NULL REFERENCES memberships (id),
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    order_id       BIGINT,
    points         BIGINT NOT NULL,
    remaining      BIGINT NOT NULL CHECK (remaining >= 0),
    release_at     BIGINT NOT NULL,
    released_at    BIGINT
);
CREATE INDEX pending_points_due ON pending_points (released_at, release_at);

-- Orders from every channel, deduplicated by the channel's own order id.
CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    program_id       BIGINT NOT NULL REFERENCES programs (id),
    membership_id    BIGINT NOT NULL REFERENCES memberships (id),
    channel          TEXT   NOT NULL,
    channel_order_id TEXT   NOT NULL,
    amount_minor     BIGINT NOT NULL,
    returned_minor   BIGINT NOT NULL DEFAULT 0,
    points           BIGINT NOT NULL,
    clawed_back      BIGINT NOT NULL DEFAULT 0,
    transaction_id   BIGINT NOT NULL REFERENCES ledger_transactions (id),
    created_at       BIGINT NOT NULL,
    CONSTRAINT orders_channel_order UNIQUE (program_id, channel, channel_order_id)
);

CREATE TABLE earning_rules (
    id            INTEGER PRIMARY KEY,
    program_id    BIGINT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    priority      BIGINT NOT NULL,
    stacking      TEXT   NOT NULL CHECK (stacking IN ('stack', 'best_only', 'stop')),
    active        BIGINT NOT NULL DEFAULT 1,
    -- JSON of model::rules::RuleConditions / RuleEffect / RuleCaps.
    conditions    TEXT   NOT NULL,
    effect        TEXT   NOT NULL,
    caps          TEXT   NOT NULL,
    budget_points BIGINT CHECK (budget_points >= 0),
    budget_used   BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CONSTRAINT earning_rules_program_name UNIQUE (program_id, name),
    CONSTRAINT earning_rules_budget CHECK (budget_points IS NULL OR budget_used <= budget_points)
);

-- What each rule gave each member, for per-member day/month caps.
CREATE TABLE rule_awards (
    id             INTEGER PRIMARY KEY,
    rule_id        BIGINT NOT NULL REFERENCES earning_rules (id) ON DELETE CASCADE,
    membership_id  BIGINT NOT NULL REFERENCES memberships (id),
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    points         BIGINT NOT NULL,
    day            BIGINT NOT NULL,
    month          BIGINT NOT NULL
);
CREATE INDEX rule_awards_member ON rule_awards (membership_id, rule_id, day);

-- Existing balances move over: each old entry becomes a balanced transaction, and each
-- membership's balance one lot without expiry.
INSERT INTO ledger_transactions (id, program_id, membership_id, kind, channel, amount_minor, reference,
                                 description, recorded_by, request_id, created_at)
SELECT e.id, m.program_id, e.membership_id, e.kind, e.channel, e.amount_minor, e.reference,
       e.description, e.recorded_by, e.request_id, e.created_at
FROM ledger_entries e JOIN memberships m ON m.id = e.membership_id;
INSERT INTO ledger_postings (transaction_id, program_id, account, membership_id, points, balance_after, created_at)
SELECT e.id, m.program_id, 'wallet', e.membership_id, e.points, e.balance_after, e.created_at
FROM ledger_entries e JOIN memberships m ON m.id = e.membership_id;
INSERT INTO ledger_postings (transaction_id, program_id, account, membership_id, points, balance_after, created_at)
SELECT e.id, m.program_id, CASE WHEN e.kind = 'earn' THEN 'issuance' ELSE 'adjustment' END, NULL, -e.points, NULL, e.created_at
FROM ledger_entries e JOIN memberships m ON m.id = e.membership_id;
INSERT INTO program_accounts (program_id, account, balance)
SELECT p.program_id, p.account, SUM(p.points) FROM ledger_postings p
WHERE p.membership_id IS NULL GROUP BY p.program_id, p.account;
INSERT INTO point_lots (membership_id, transaction_id, points, remaining, earned_at, expires_at)
SELECT m.id, (SELECT MAX(t.id) FROM ledger_transactions t WHERE t.membership_id = m.id), m.balance, m.balance, m.joined_at, NULL
FROM memberships m WHERE m.balance > 0;
UPDATE memberships SET last_activity_at = (SELECT MAX(t.created_at) FROM ledger_transactions t WHERE t.membership_id = memberships.id);

DROP TABLE ledger_entries;
