-- Caps read what each rule gave a member this month (repo/rules.rs, usage_many). Indexed by
-- month after the membership, a booking reads this month's awards instead of the member's
-- whole history, which grows with every order. (Same in both dialects.)
DROP INDEX rule_awards_member;
CREATE INDEX rule_awards_member_month ON rule_awards (membership_id, month, rule_id, day);
