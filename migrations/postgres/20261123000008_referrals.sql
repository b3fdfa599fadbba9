-- Two-sided referrals: each member has a code to share; a member who signed up with one
-- remembers who referred them. Rewards are booked as 'referral' (to the referrer) and
-- 'referred' (to the friend) events, once per new member, when the friend first buys.
ALTER TABLE members ADD COLUMN referral_code TEXT;
ALTER TABLE members ADD COLUMN referred_by BIGINT REFERENCES members (id);
CREATE UNIQUE INDEX members_referral_code ON members (referral_code);
