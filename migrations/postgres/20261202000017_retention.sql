-- The retention job deletes webhook deliveries older than its window, oldest first, in
-- batches; without this index each batch reads the whole table.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
