-- Running counts that the status pages read instead of counting a campaign's rows:
-- with a million contacts or attempts a GROUP BY over them takes hundreds of
-- milliseconds, a read of these tables a few microseconds. Triggers keep them equal
-- to what the GROUP BY would say, whichever statement changes the rows; a row whose
-- count falls to 0 is kept (it is counted again soon, and reads skip nothing wrong).

-- Contacts per list and state (ready, dialing, done).
CREATE TABLE contact_tally (
    list_id BIGINT NOT NULL,
    state TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (list_id, state)
);
INSERT INTO contact_tally (list_id, state, n)
SELECT list_id, state, COUNT(*) FROM contact GROUP BY list_id, state;

CREATE TRIGGER contact_tally_insert AFTER INSERT ON contact
BEGIN
    INSERT INTO contact_tally (list_id, state, n) VALUES (NEW.list_id, NEW.state, 1)
    ON CONFLICT (list_id, state) DO UPDATE SET n = contact_tally.n + 1;
END;

CREATE TRIGGER contact_tally_update AFTER UPDATE OF list_id, state ON contact
WHEN OLD.list_id <> NEW.list_id OR OLD.state <> NEW.state
BEGIN
    UPDATE contact_tally SET n = n - 1 WHERE list_id = OLD.list_id AND state = OLD.state;
    INSERT INTO contact_tally (list_id, state, n) VALUES (NEW.list_id, NEW.state, 1)
    ON CONFLICT (list_id, state) DO UPDATE SET n = contact_tally.n + 1;
END;

CREATE TRIGGER contact_tally_delete AFTER DELETE ON contact
BEGIN
    UPDATE contact_tally SET n = n - 1 WHERE list_id = OLD.list_id AND state = OLD.state;
END;

-- A deleted list's contacts go with it (ON DELETE CASCADE), and so do its counts.
CREATE TRIGGER contact_tally_list_delete AFTER DELETE ON contact_list
BEGIN
    DELETE FROM contact_tally WHERE list_id = OLD.id;
END;

-- Attempts per campaign run and everything the status shows them by: state (in
-- progress or not), disposition status, raw outcome, DTMF confirmation. A missing
-- status or outcome is ''. Attempts outlive their campaign, and so do these counts.
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

CREATE TRIGGER attempt_tally_insert AFTER INSERT ON attempt
BEGIN
    INSERT INTO attempt_tally (campaign_id, run, state, status, outcome, confirmed, n)
    VALUES (NEW.campaign_id, NEW.run, NEW.state, COALESCE(NEW.status, ''),
            COALESCE(NEW.outcome, ''), NEW.confirmed, 1)
    ON CONFLICT (campaign_id, run, state, status, outcome, confirmed)
    DO UPDATE SET n = attempt_tally.n + 1;
END;

CREATE TRIGGER attempt_tally_update
AFTER UPDATE OF campaign_id, run, state, status, outcome, confirmed ON attempt
WHEN OLD.campaign_id <> NEW.campaign_id OR OLD.run <> NEW.run OR OLD.state <> NEW.state
    OR OLD.status IS NOT NEW.status OR OLD.outcome IS NOT NEW.outcome
    OR OLD.confirmed <> NEW.confirmed
BEGIN
    UPDATE attempt_tally SET n = n - 1
    WHERE campaign_id = OLD.campaign_id AND run = OLD.run AND state = OLD.state
      AND status = COALESCE(OLD.status, '') AND outcome = COALESCE(OLD.outcome, '')
      AND confirmed = OLD.confirmed;
    INSERT INTO attempt_tally (campaign_id, run, state, status, outcome, confirmed, n)
    VALUES (NEW.campaign_id, NEW.run, NEW.state, COALESCE(NEW.status, ''),
            COALESCE(NEW.outcome, ''), NEW.confirmed, 1)
    ON CONFLICT (campaign_id, run, state, status, outcome, confirmed)
    DO UPDATE SET n = attempt_tally.n + 1;
END;

CREATE TRIGGER attempt_tally_delete AFTER DELETE ON attempt
BEGIN
    UPDATE attempt_tally SET n = n - 1
    WHERE campaign_id = OLD.campaign_id AND run = OLD.run AND state = OLD.state
      AND status = COALESCE(OLD.status, '') AND outcome = COALESCE(OLD.outcome, '')
      AND confirmed = OLD.confirmed;
END;

-- The reads the pages still make of these tables, each an index range that costs the
-- same with a thousand rows or a million: a campaign's attempts a page at a time,
-- newest first (by id); the ones ended in the pacer's rolling window; a list's
-- contacts a page at a time. attempt_campaign served only the count by run, which the
-- tally now answers.
DROP INDEX attempt_campaign;
CREATE INDEX attempt_campaign_page ON attempt (campaign_id, id);
CREATE INDEX attempt_campaign_end ON attempt (campaign_id, end_at_ms);
CREATE INDEX contact_list_page ON contact (list_id, id);
