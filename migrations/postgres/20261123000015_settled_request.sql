-- The request (an API Idempotency-Key's request id) that used or released a code, so the
-- same request retried after its stored answer was lost gets the code as it now stands
-- instead of "already used". (Same in both dialects.)
ALTER TABLE issued_rewards ADD COLUMN settled_request TEXT;
