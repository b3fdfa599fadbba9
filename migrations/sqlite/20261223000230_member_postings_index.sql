-- Only member-side postings (wallet, pending) carry a membership. The program side of an
-- order is a posting per earning rule that gave, none of which is looked up by membership, so
-- the index leaves them out: an order that ten segment rules and campaigns earn under wrote
-- eleven entries of NULL here.
DROP INDEX ledger_postings_membership;
CREATE INDEX ledger_postings_membership ON ledger_postings (membership_id, account, id) WHERE membership_id IS NOT NULL;
