-- Campaign messages (issue 19): a campaign may tell its members of their offer, with a
-- template on chosen channels (JSON of model::campaign::CampaignMessage). Control members
-- are told nothing. Messages carry their campaign so its report counts what each did.
ALTER TABLE campaigns ADD COLUMN message TEXT;

ALTER TABLE messages ADD COLUMN campaign_id BIGINT REFERENCES campaigns (id);
CREATE INDEX messages_campaign ON messages (campaign_id, status);

-- Memberships a campaign's announcement pass has looked at (control members included), so
-- each pass only reads the segment's newcomers; the arm is the one the hash gave.
CREATE TABLE campaign_announced (
    campaign_id   BIGINT NOT NULL REFERENCES campaigns (id),
    membership_id BIGINT NOT NULL REFERENCES memberships (id),
    arm           BIGINT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, membership_id)
);
