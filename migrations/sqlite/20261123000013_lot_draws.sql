-- What each spend took from which lot (repo/ledger.rs, spend). A released reward gives its
-- points back to the lots they came from, with their expiry dates; before, a release opened
-- a fresh lot, so reserving and releasing at a checkout pushed points about to expire out
-- by the program's whole expiry period. (Same in both dialects.)
CREATE TABLE lot_draws (
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    lot_id         BIGINT NOT NULL REFERENCES point_lots (id),
    points         BIGINT NOT NULL CHECK (points > 0)
);
CREATE INDEX lot_draws_transaction ON lot_draws (transaction_id);
