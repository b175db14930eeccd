-- The detailed report's read (Store::contacts_with_last): each contact with its last
-- attempt within the report's filter, found as the contact's newest entry in
-- attempt_report (migration 0013). With the talk time in the index too, every column
-- the report shows of that attempt is in it, so SQLite reads no attempt from the table:
-- the join of a million contacts with their last attempts took about a fifth less
-- time (docs/benchmarks.md). The statistics read the index as before.
DROP INDEX attempt_report;
CREATE INDEX attempt_report ON attempt
    (campaign_id, contact_id, id DESC, state, run, started_at_ms, status, outcome,
     attempt, tags, talk_ms);
