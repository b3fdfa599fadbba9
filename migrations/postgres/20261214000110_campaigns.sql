-- Campaigns: an incentive for a segment's members between two instants, in chosen channels,
-- with a control group held out and up to four variants (model::campaign). Variants are
-- JSON of model::campaign::Variant. A launched campaign's points are given by earning rules
-- it owns (one per variant that earns, hidden from the rules page); its rewards are claimed.
CREATE TABLE campaigns (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program_id    BIGINT NOT NULL REFERENCES programs (id),
    name          TEXT   NOT NULL,
    segment_id    BIGINT NOT NULL REFERENCES segments (id),
    -- Space-separated channels; empty = every channel.
    channels      TEXT   NOT NULL DEFAULT '',
    starts_at     BIGINT NOT NULL,
    ends_at       BIGINT NOT NULL,
    holdout_pct   BIGINT NOT NULL CHECK (holdout_pct BETWEEN 0 AND 50),
    variants      TEXT   NOT NULL,
    budget_points BIGINT CHECK (budget_points >= 0),
    max_rewards   BIGINT CHECK (max_rewards >= 0),
    -- Rewards handed out: never above max_rewards (a claim is a conditional update).
    rewards_given BIGINT NOT NULL DEFAULT 0,
    state         TEXT   NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'launched', 'stopped')),
    stopped_at    BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CONSTRAINT campaigns_dates CHECK (ends_at > starts_at),
    CONSTRAINT campaigns_rewards CHECK (max_rewards IS NULL OR rewards_given <= max_rewards)
);
CREATE UNIQUE INDEX campaigns_name ON campaigns (program_id, name);
CREATE INDEX campaigns_segment ON campaigns (segment_id);

-- Changes made to a campaign once launched, as "field: before → after" lines.
CREATE TABLE campaign_edits (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    user_id     BIGINT REFERENCES users (id),
    change      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX campaign_edits_campaign ON campaign_edits (campaign_id, id);

-- Rewards claimed from campaigns: one per member and campaign.
CREATE TABLE campaign_claims (
    campaign_id   BIGINT NOT NULL REFERENCES campaigns (id),
    membership_id BIGINT NOT NULL REFERENCES memberships (id),
    variant       BIGINT NOT NULL,
    issued_id     BIGINT NOT NULL REFERENCES issued_rewards (id),
    value         BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, membership_id)
);

-- A campaign's earning rules: which campaign and variant (position) own them, and the rule
-- whose budget slots they charge (a campaign's variants share one budget, kept in its first
-- rule's slots).
ALTER TABLE earning_rules ADD COLUMN campaign_id BIGINT REFERENCES campaigns (id);
ALTER TABLE earning_rules ADD COLUMN campaign_variant BIGINT;
ALTER TABLE earning_rules ADD COLUMN budget_rule_id BIGINT REFERENCES earning_rules (id);
CREATE INDEX earning_rules_campaign ON earning_rules (campaign_id) WHERE campaign_id IS NOT NULL;

-- What a campaign's rules gave, read by rule (the report, a member's offers): the awards
-- table had only an index by member and month.
CREATE INDEX rule_awards_rule ON rule_awards (rule_id, membership_id);
