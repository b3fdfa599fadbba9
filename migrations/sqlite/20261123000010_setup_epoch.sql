-- Bookings keep what they read of a program's setup (the program, its tiers, earning rules
-- and stamp cards, the webhook endpoints) in memory, and check this one number per request
-- instead of reading it all again. Every change to those tables moves the number, by
-- trigger, so no code path can forget to and every server sees the change at its next
-- request. Counters a booking moves itself (a rule's budget_used, a reward's issued count)
-- are left out: they are not setup, and would move it on every order.
CREATE TABLE setup_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO setup_epoch (id, epoch) VALUES (1, 0);

CREATE TRIGGER programs_setup_insert AFTER INSERT ON programs
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER programs_setup_update AFTER UPDATE ON programs
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER programs_setup_delete AFTER DELETE ON programs
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER tiers_setup_insert AFTER INSERT ON tiers
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER tiers_setup_update AFTER UPDATE ON tiers
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER tiers_setup_delete AFTER DELETE ON tiers
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER stamp_cards_setup_insert AFTER INSERT ON stamp_cards
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER stamp_cards_setup_update AFTER UPDATE ON stamp_cards
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER stamp_cards_setup_delete AFTER DELETE ON stamp_cards
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER webhook_endpoints_setup_insert AFTER INSERT ON webhook_endpoints
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER webhook_endpoints_setup_update AFTER UPDATE ON webhook_endpoints
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER webhook_endpoints_setup_delete AFTER DELETE ON webhook_endpoints
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER earning_rules_setup_insert AFTER INSERT ON earning_rules
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER earning_rules_setup_update AFTER UPDATE OF program_id, name, priority, stacking, active, conditions, effect, caps, budget_points ON earning_rules
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER earning_rules_setup_delete AFTER DELETE ON earning_rules
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

-- Stamp cards show their reward's name.

CREATE TRIGGER rewards_setup_update AFTER UPDATE OF name ON rewards
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER rewards_setup_delete AFTER DELETE ON rewards
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;
