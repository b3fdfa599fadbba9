-- Held points are looked up by their order (a return takes back what is still held) and by
-- their membership (a merge moves them), only those not yet released. The one index there
-- was (released_at, release_at) made each lookup read every unreleased hold: at a million
-- members, a return took 31 ms; now it reads the order's own.
CREATE INDEX pending_points_order ON pending_points (order_id) WHERE released_at IS NULL;
CREATE INDEX pending_points_membership ON pending_points (membership_id) WHERE released_at IS NULL;
