-- A campaign's attempts by the time they were placed: the look-ahead pacer's
-- measurements (Store::call_moments) read the window's attempts, not the campaign's.
CREATE INDEX attempt_started ON attempt (campaign_id, started_at_ms);
