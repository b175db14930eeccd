-- Same tables as migrations/sqlite/0007_tallies.sql (a test compares the two): running
-- counts that the status pages read instead of counting a campaign's rows, kept by
-- triggers. Here the triggers run once per statement over its transition tables, so
-- an import of thousands of contacts in one INSERT adds to each count once, and they
-- add to the counts in key order: two transactions moving the same counts lock them
-- in the same order and cannot deadlock each other.

CREATE TABLE contact_tally (
    list_id BIGINT NOT NULL,
    state TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (list_id, state)
);
INSERT INTO contact_tally (list_id, state, n)
SELECT list_id, state, COUNT(*) FROM contact GROUP BY list_id, state;

CREATE FUNCTION contact_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- plpgsql prepares a statement when it first runs it: each branch reads only the
    -- transition tables its trigger declares.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO contact_tally AS t (list_id, state, n)
        SELECT list_id, state, COUNT(*) FROM new_contacts
        GROUP BY list_id, state ORDER BY list_id, state
        ON CONFLICT (list_id, state) DO UPDATE SET n = t.n + EXCLUDED.n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO contact_tally AS t (list_id, state, n)
        SELECT list_id, state, SUM(d)::bigint FROM (
            SELECT list_id, state, 1 AS d FROM new_contacts
            UNION ALL
            SELECT list_id, state, -1 AS d FROM old_contacts
        ) AS moved
        GROUP BY list_id, state HAVING SUM(d) <> 0 ORDER BY list_id, state
        ON CONFLICT (list_id, state) DO UPDATE SET n = t.n + EXCLUDED.n;
    ELSE
        UPDATE contact_tally AS t SET n = t.n - gone.n
        FROM (SELECT list_id, state, COUNT(*) AS n FROM old_contacts
              GROUP BY list_id, state) AS gone
        WHERE t.list_id = gone.list_id AND t.state = gone.state;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER contact_tally_insert AFTER INSERT ON contact
REFERENCING NEW TABLE AS new_contacts
FOR EACH STATEMENT EXECUTE FUNCTION contact_tally_count();
CREATE TRIGGER contact_tally_update AFTER UPDATE ON contact
REFERENCING OLD TABLE AS old_contacts NEW TABLE AS new_contacts
FOR EACH STATEMENT EXECUTE FUNCTION contact_tally_count();
CREATE TRIGGER contact_tally_delete AFTER DELETE ON contact
REFERENCING OLD TABLE AS old_contacts
FOR EACH STATEMENT EXECUTE FUNCTION contact_tally_count();

-- A deleted list's contacts go with it (ON DELETE CASCADE), and so do its counts.
CREATE FUNCTION contact_tally_forget_list() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM contact_tally WHERE list_id = OLD.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER contact_tally_list_delete AFTER DELETE ON contact_list
FOR EACH ROW EXECUTE FUNCTION contact_tally_forget_list();

CREATE TABLE attempt_tally (
    campaign_id BIGINT NOT NULL,
    run BIGINT NOT NULL,
    state TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT NOT NULL,
    confirmed BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, run, state, status, outcome, confirmed)
);
INSERT INTO attempt_tally (campaign_id, run, state, status, outcome, confirmed, n)
SELECT campaign_id, run, state, COALESCE(status, ''), COALESCE(outcome, ''), confirmed,
       COUNT(*)
FROM attempt
GROUP BY campaign_id, run, state, COALESCE(status, ''), COALESCE(outcome, ''), confirmed;

CREATE FUNCTION attempt_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO attempt_tally AS t (campaign_id, run, state, status, outcome, confirmed, n)
        SELECT campaign_id, run, state, COALESCE(status, ''), COALESCE(outcome, ''),
               confirmed, COUNT(*)
        FROM new_attempts
        GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (campaign_id, run, state, status, outcome, confirmed)
        DO UPDATE SET n = t.n + EXCLUDED.n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO attempt_tally AS t (campaign_id, run, state, status, outcome, confirmed, n)
        SELECT campaign_id, run, state, status, outcome, confirmed, SUM(d)::bigint FROM (
            SELECT campaign_id, run, state, COALESCE(status, '') AS status,
                   COALESCE(outcome, '') AS outcome, confirmed, 1 AS d
            FROM new_attempts
            UNION ALL
            SELECT campaign_id, run, state, COALESCE(status, ''), COALESCE(outcome, ''),
                   confirmed, -1
            FROM old_attempts
        ) AS moved
        GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(d) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (campaign_id, run, state, status, outcome, confirmed)
        DO UPDATE SET n = t.n + EXCLUDED.n;
    ELSE
        UPDATE attempt_tally AS t SET n = t.n - gone.n
        FROM (SELECT campaign_id, run, state, COALESCE(status, '') AS status,
                     COALESCE(outcome, '') AS outcome, confirmed, COUNT(*) AS n
              FROM old_attempts GROUP BY 1, 2, 3, 4, 5, 6) AS gone
        WHERE t.campaign_id = gone.campaign_id AND t.run = gone.run
          AND t.state = gone.state AND t.status = gone.status
          AND t.outcome = gone.outcome AND t.confirmed = gone.confirmed;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER attempt_tally_insert AFTER INSERT ON attempt
REFERENCING NEW TABLE AS new_attempts
FOR EACH STATEMENT EXECUTE FUNCTION attempt_tally_count();
CREATE TRIGGER attempt_tally_update AFTER UPDATE ON attempt
REFERENCING OLD TABLE AS old_attempts NEW TABLE AS new_attempts
FOR EACH STATEMENT EXECUTE FUNCTION attempt_tally_count();
CREATE TRIGGER attempt_tally_delete AFTER DELETE ON attempt
REFERENCING OLD TABLE AS old_attempts
FOR EACH STATEMENT EXECUTE FUNCTION attempt_tally_count();

-- The reads the pages still make of these tables, each an index range that costs the
-- same with a thousand rows or a million: a campaign's attempts a page at a time,
-- newest first (by id); the ones ended in the pacer's rolling window; a list's
-- contacts a page at a time. attempt_campaign served only the count by run, which the
-- tally now answers.
DROP INDEX attempt_campaign;
CREATE INDEX attempt_campaign_page ON attempt (campaign_id, id);
CREATE INDEX attempt_campaign_end ON attempt (campaign_id, end_at_ms);
CREATE INDEX contact_list_page ON contact (list_id, id);
