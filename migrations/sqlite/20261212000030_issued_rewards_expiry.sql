-- Codes handed out and not used: the job that marks them expired once their days are over
-- reads only these (a small part of all the codes ever issued), oldest expiry first.
CREATE INDEX issued_rewards_open_expiry ON issued_rewards (expires_at) WHERE status = 'issued';
