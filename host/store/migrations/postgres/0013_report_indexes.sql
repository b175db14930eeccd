-- The reports' read of the campaign statistics (Store::campaign_stats): each record
-- (contact) by its last finished attempt. In this index a campaign's attempts come
-- contact by contact, each contact's newest first, with the columns the read filters
-- on, so that the last attempt of each record is found by an index-only scan with no
-- sort; it is then read by its id. Unlike SQLite's, the index does not hold the
-- texts (status, outcome, tags): a B-tree row must stay under 2.7 kB here, and a
-- mapper's tags have no bound.
CREATE INDEX attempt_report ON attempt (campaign_id, contact_id, id DESC)
    INCLUDE (state, run, started_at_ms);
