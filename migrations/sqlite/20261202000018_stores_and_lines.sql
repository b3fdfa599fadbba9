-- Stores: the brand's shops (and web shops or apps that have a code of their own), named by
-- code by tills, the channel API and the Desk. Each has its own time zone: Insights and
-- messages show its local time. Codes are kept in capitals (`PARIS-1`), one per store.
CREATE TABLE stores (
    id         INTEGER PRIMARY KEY,
    code       TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    channel    TEXT   NOT NULL DEFAULT 'store',
    time_zone  TEXT   NOT NULL DEFAULT 'UTC',
    active     BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    CONSTRAINT stores_code UNIQUE (code)
);

-- Where an order was placed, when a store was named.
ALTER TABLE orders ADD COLUMN store_id BIGINT REFERENCES stores (id);
CREATE INDEX orders_store ON orders (store_id, created_at);

-- What an order was made of, as the channel sent it: backtests of rules, product and
-- category analytics, receipt claims and RFM segments read these.
CREATE TABLE order_lines (
    order_id     BIGINT NOT NULL REFERENCES orders (id),
    line_no      BIGINT NOT NULL,
    sku          TEXT   NOT NULL,
    category     TEXT,
    -- The line's tags, as a JSON array of strings.
    tags         TEXT   NOT NULL DEFAULT '[]',
    quantity     BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_sku ON order_lines (sku);
CREATE INDEX order_lines_category ON order_lines (category);

-- The store a Desk user last recorded a purchase in, offered first next time.
ALTER TABLE users ADD COLUMN desk_store_id BIGINT REFERENCES stores (id);
