-- Bookings keep what they read of a program's setup (the program, its tiers, earning rules
-- and stamp cards, the webhook endpoints) in memory, and check this one number per request
-- instead of reading it all again. Every change to those tables moves the number, by
-- trigger, so no code path can forget to and every server sees the change at its next
-- request. Counters a booking moves itself (a rule's budget_used, a reward's issued count)
-- are left out: they are not setup, and would move it on every order.
CREATE TABLE setup_epoch (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO setup_epoch (id, epoch) VALUES (1, 0);

CREATE FUNCTION bump_setup_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER programs_setup AFTER INSERT OR UPDATE OR DELETE ON programs
    FOR EACH STATEMENT EXECUTE FUNCTION bump_setup_epoch();

CREATE TRIGGER tiers_setup AFTER INSERT OR UPDATE OR DELETE ON tiers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_setup_epoch();

CREATE TRIGGER stamp_cards_setup AFTER INSERT OR UPDATE OR DELETE ON stamp_cards
    FOR EACH STATEMENT EXECUTE FUNCTION bump_setup_epoch();

CREATE TRIGGER webhook_endpoints_setup AFTER INSERT OR UPDATE OR DELETE ON webhook_endpoints
    FOR EACH STATEMENT EXECUTE FUNCTION bump_setup_epoch();

CREATE TRIGGER earning_rules_setup AFTER INSERT OR DELETE OR UPDATE OF program_id, name, priority, stacking, active, conditions, effect, caps, budget_points ON earning_rules
    FOR EACH STATEMENT EXECUTE FUNCTION bump_setup_epoch();

-- Stamp cards show their reward's name.

CREATE TRIGGER rewards_setup AFTER DELETE OR UPDATE OF name ON rewards
    FOR EACH STATEMENT EXECUTE FUNCTION bump_setup_epoch();
