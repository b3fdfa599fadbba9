-- Identity and cards (PostgreSQL dialect; keep in step with ../sqlite): physical card batches,
-- cards used before anyone registers them, reversible member merges, stamp cards, birthdays.

-- 'card': a holder for a batch card nobody has registered yet; its points wait there until
-- the card is linked to a person (which merges the holder into that member).
ALTER TABLE members ADD COLUMN kind TEXT NOT NULL DEFAULT 'registered';
-- Set while the member is merged into another one (reversible; see member_merges).
ALTER TABLE members ADD COLUMN merged_into BIGINT REFERENCES members (id);
-- 'YYYY-MM-DD', optional; the birthday award books once per UTC year.
ALTER TABLE members ADD COLUMN birth_date TEXT;
-- A merged membership's history counts towards the membership it was merged into.
ALTER TABLE memberships ADD COLUMN merged_into BIGINT REFERENCES memberships (id);
CREATE INDEX memberships_merged_into ON memberships (merged_into);

CREATE TABLE card_batches (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    label      TEXT   NOT NULL,
    size       BIGINT NOT NULL CHECK (size > 0),
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL
);

-- Printed cards. `member_id` is the card's holder from its first use (or link) on.
CREATE TABLE cards (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id      BIGINT NOT NULL REFERENCES card_batches (id),
    number        TEXT   NOT NULL UNIQUE,
    -- Printed under a scratch panel; members prove they hold the card with it online.
    security_code TEXT   NOT NULL,
    member_id     BIGINT REFERENCES members (id),
    linked_at     BIGINT
);
CREATE INDEX cards_batch ON cards (batch_id, id);

-- Audit of merges, with everything moved, so a merge can be reversed exactly.
CREATE TABLE member_merges (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_member_id BIGINT NOT NULL REFERENCES members (id),
    target_member_id BIGINT NOT NULL REFERENCES members (id),
    reason           TEXT   NOT NULL,
    moves            TEXT   NOT NULL,
    merged_by        BIGINT REFERENCES users (id),
    merged_at        BIGINT NOT NULL,
    reversed_by      BIGINT REFERENCES users (id),
    reversed_at      BIGINT
);
CREATE INDEX member_merges_source ON member_merges (source_member_id);
CREATE INDEX member_merges_target ON member_merges (target_member_id);

-- Stamp cards: a second kind of balance, e.g. 10 stamps = a free coffee (the reward).
CREATE TABLE stamp_cards (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id       BIGINT NOT NULL REFERENCES programs (id),
    name             TEXT   NOT NULL,
    stamps_required  BIGINT NOT NULL CHECK (stamps_required BETWEEN 2 AND 100),
    reward_id        BIGINT NOT NULL REFERENCES rewards (id),
    -- What earns a stamp: one per matching item (SKU or category), or one per order
    -- of at least min_amount_minor when neither is set.
    sku              TEXT,
    category         TEXT,
    min_amount_minor BIGINT NOT NULL DEFAULT 0 CHECK (min_amount_minor >= 0),
    active           BIGINT NOT NULL DEFAULT 1,
    created_at       BIGINT NOT NULL,
    CONSTRAINT stamp_cards_program_name UNIQUE (program_id, name)
);

CREATE TABLE stamp_balances (
    membership_id BIGINT NOT NULL REFERENCES memberships (id),
    stamp_card_id BIGINT NOT NULL REFERENCES stamp_cards (id),
    stamps        BIGINT NOT NULL CHECK (stamps >= 0),
    PRIMARY KEY (membership_id, stamp_card_id)
);

-- Append-only history of stamps; `dedup_key` makes an order or a paper card count once.
CREATE TABLE stamp_movements (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    membership_id    BIGINT NOT NULL REFERENCES memberships (id),
    stamp_card_id    BIGINT NOT NULL REFERENCES stamp_cards (id),
    kind             TEXT   NOT NULL,
    stamps           BIGINT NOT NULL,
    stamps_after     BIGINT NOT NULL,
    reference        TEXT,
    dedup_key        TEXT UNIQUE,
    issued_reward_id BIGINT REFERENCES issued_rewards (id),
    recorded_by      BIGINT REFERENCES users (id),
    created_at       BIGINT NOT NULL
);
CREATE INDEX stamp_movements_membership ON stamp_movements (membership_id, id);
CREATE TRIGGER stamp_movements_append_only BEFORE UPDATE OR DELETE ON stamp_movements
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
