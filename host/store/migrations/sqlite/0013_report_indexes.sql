-- The reports' read of the campaign statistics (Store::campaign_stats): each record
-- (contact) by its last finished attempt. In this index a campaign's attempts come
-- contact by contact, each contact's newest first, with every column the statistics
-- read and filter on, so that one pass over it, with no lookup into the table and no
-- sort, finds each record's last attempt. Without it the read grouped a million
-- attempts by contact in a temporary B-tree, then looked each record's last attempt
-- up in the table: about 0.8 s for a campaign of a million attempts, 0.2 s with it
-- (docs/benchmarks.md).
CREATE INDEX attempt_report ON attempt
    (campaign_id, contact_id, id DESC, state, run, started_at_ms, status, outcome,
     attempt, tags);
