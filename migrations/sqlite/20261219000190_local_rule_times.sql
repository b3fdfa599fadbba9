-- Earning rules' days and hours are in local time (issue 19): the zone of the event's store,
-- else the program's (kept with its message settings). Bookings keep both zones with the
-- program's setup, so a change to either moves the setup epoch (migration 10).
CREATE TRIGGER stores_setup_insert AFTER INSERT ON stores
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER stores_setup_update AFTER UPDATE OF code, time_zone ON stores
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER message_settings_setup_insert AFTER INSERT ON message_settings
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;

CREATE TRIGGER message_settings_setup_update AFTER UPDATE OF time_zone ON message_settings
BEGIN
    UPDATE setup_epoch SET epoch = epoch + 1;
END;
