-- Each number of each contact, so that a search for a number (or its beginning) reads
-- an index instead of every contact of the list: with a million contacts a number
-- that one contact has was found by reading them all. Kept by triggers, like the
-- tallies, whichever statement writes or deletes a contact.
--
-- One B-tree only (the table is its key): an import writes each number once more,
-- not twice. A contact's rows are found again by its list and numbers, which the
-- triggers know, so no index by contact (nor a foreign key, which would need one).

CREATE TABLE contact_number (
    list_id BIGINT NOT NULL,
    number TEXT NOT NULL,
    contact_id BIGINT NOT NULL,
    PRIMARY KEY (list_id, number, contact_id)
) WITHOUT ROWID;

-- `numbers` is `|`-separated; json_each splits it (a trigger may hold no WITH). The
-- numbers are E.164 or extensions, but any `\` or `"` is escaped all the same.
INSERT OR IGNORE INTO contact_number (list_id, number, contact_id)
SELECT c.list_id, j.value, c.id
FROM contact AS c,
     json_each('["' || replace(replace(replace(c.numbers, '\', '\\'), '"', '\"'), '|', '","') || '"]') AS j
WHERE j.value <> '';

CREATE TRIGGER contact_number_insert AFTER INSERT ON contact
BEGIN
    INSERT OR IGNORE INTO contact_number (list_id, number, contact_id)
    SELECT NEW.list_id, j.value, NEW.id
    FROM json_each('["' || replace(replace(replace(NEW.numbers, '\', '\\'), '"', '\"'), '|', '","') || '"]') AS j
    WHERE j.value <> '';
END;

CREATE TRIGGER contact_number_update AFTER UPDATE OF list_id, numbers ON contact
WHEN OLD.list_id <> NEW.list_id OR OLD.numbers <> NEW.numbers
BEGIN
    DELETE FROM contact_number WHERE list_id = OLD.list_id AND contact_id = OLD.id
    AND number IN (SELECT value FROM json_each('["' || replace(replace(replace(OLD.numbers, '\', '\\'), '"', '\"'), '|', '","') || '"]'));
    INSERT OR IGNORE INTO contact_number (list_id, number, contact_id)
    SELECT NEW.list_id, j.value, NEW.id
    FROM json_each('["' || replace(replace(replace(NEW.numbers, '\', '\\'), '"', '\"'), '|', '","') || '"]') AS j
    WHERE j.value <> '';
END;

-- Also when a deleted list takes its contacts with it (ON DELETE CASCADE).
CREATE TRIGGER contact_number_delete AFTER DELETE ON contact
BEGIN
    DELETE FROM contact_number WHERE list_id = OLD.list_id AND contact_id = OLD.id
    AND number IN (SELECT value FROM json_each('["' || replace(replace(replace(OLD.numbers, '\', '\\'), '"', '\"'), '|', '","') || '"]'));
END;
