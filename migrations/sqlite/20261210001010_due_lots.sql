-- The expiry job finds the lots come due from this index alone (same in both dialects): only
-- lots with points left are in it, so the search costs what is due, not the ledger's history.
-- Before it the job walked every membership of the program on each run.
CREATE INDEX point_lots_due ON point_lots (expires_at, membership_id)
    WHERE remaining > 0 AND expires_at IS NOT NULL;
