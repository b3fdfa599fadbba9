-- Stamps given by campaigns (model::campaign::Incentive::Stamps): the campaign that gave a
-- movement, at most once per member and campaign.
ALTER TABLE stamp_movements ADD COLUMN campaign_id BIGINT REFERENCES campaigns (id);
CREATE UNIQUE INDEX stamp_movements_campaign ON stamp_movements (campaign_id, membership_id)
    WHERE campaign_id IS NOT NULL;

-- Bookings read the stamps launched campaigns give with the program's setup, so a launch, a
-- stop and a change of dates or variants move the setup epoch (claims, which only count
-- rewards_given, do not).
CREATE TRIGGER campaigns_setup_update
    AFTER UPDATE OF state, starts_at, ends_at, stopped_at, segment_id, channels, holdout_pct, variants
    ON campaigns
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;
