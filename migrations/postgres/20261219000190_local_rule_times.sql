-- Earning rules' days and hours are in local time (issue 19): the zone of the event's store,
-- else the program's (kept with its message settings). Bookings keep both zones with the
-- program's setup, so a change to either moves the setup epoch (migration 10).
CREATE TRIGGER stores_setup AFTER INSERT OR UPDATE OF code, time_zone ON stores
    FOR EACH STATEMENT EXECUTE FUNCTION bump_setup_epoch();

CREATE TRIGGER message_settings_setup AFTER INSERT OR UPDATE OF time_zone ON message_settings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_setup_epoch();
