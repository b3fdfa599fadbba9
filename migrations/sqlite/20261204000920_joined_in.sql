-- Where a member joined a program, when a channel enrolled them (the channel API): the
-- channel ('store', 'web', 'app') and the store, if one was named. NULL for memberships made
-- otherwise (portal sign-up and joining, a first purchase, a printed card's first use).
ALTER TABLE memberships ADD COLUMN joined_channel TEXT;
ALTER TABLE memberships ADD COLUMN joined_store_id BIGINT REFERENCES stores (id);
