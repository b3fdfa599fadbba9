-- point_lots_expiry served only the expiry job's search, which point_lots_due now answers,
-- and was rewritten by every draw on a lot (remaining is in it).
DROP INDEX point_lots_expiry;
