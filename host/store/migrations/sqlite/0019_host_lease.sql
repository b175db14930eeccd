-- Each host sharing the database holds a lease it renews while it runs; a host whose
-- lease has expired is taken to be dead, and one other host (the one whose DELETE
-- removes the row) closes what it left in progress (Store::take_over_dead_hosts).
CREATE TABLE host_lease (
    host TEXT PRIMARY KEY,
    expires_at_ms BIGINT NOT NULL
);
