-- Same table as migrations/sqlite/0009_contact_numbers.sql (a test compares the two):
-- each number of each contact, for a number search that reads an index. Unlike
-- SQLite's, it keeps an index by contact for its foreign key: statement triggers
-- over transition tables (which have no statistics) find a deleted contact's rows
-- slowly without it (an import here is one statement per batch, not a trigger per row). Compared
-- byte by byte (COLLATE "C"), so that a number's beginning is one index range whatever
-- the database's collation. The triggers run once per statement over its transition
-- tables; an update that leaves numbers and lists alone (a claim, a result) costs a
-- comparison of the rows it changed and writes nothing here.

CREATE TABLE contact_number (
    list_id BIGINT NOT NULL,
    number TEXT COLLATE "C" NOT NULL,
    contact_id BIGINT NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    PRIMARY KEY (list_id, number, contact_id)
);
CREATE INDEX contact_number_contact ON contact_number (contact_id);

INSERT INTO contact_number (list_id, number, contact_id)
SELECT DISTINCT c.list_id, n, c.id
FROM contact AS c, unnest(string_to_array(c.numbers, '|')) AS n
WHERE n <> '';

CREATE FUNCTION contact_number_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO contact_number (list_id, number, contact_id)
        SELECT DISTINCT r.list_id, n, r.id
        FROM new_contacts AS r, unnest(string_to_array(r.numbers, '|')) AS n
        WHERE n <> ''
        ON CONFLICT DO NOTHING;
    ELSE
        -- The rows whose list or numbers changed. EXCEPT, not a join of the two
        -- transition tables: they have no statistics, and a nested loop over an
        -- update of many rows would cost their product.
        DELETE FROM contact_number WHERE contact_id IN (
            SELECT id FROM (SELECT id, list_id, numbers FROM new_contacts
                            EXCEPT SELECT id, list_id, numbers FROM old_contacts) AS changed);
        INSERT INTO contact_number (list_id, number, contact_id)
        SELECT DISTINCT changed.list_id, n, changed.id
        FROM (SELECT id, list_id, numbers FROM new_contacts
              EXCEPT SELECT id, list_id, numbers FROM old_contacts) AS changed,
             unnest(string_to_array(changed.numbers, '|')) AS n
        WHERE n <> ''
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER contact_number_insert AFTER INSERT ON contact
REFERENCING NEW TABLE AS new_contacts
FOR EACH STATEMENT EXECUTE FUNCTION contact_number_keep();
CREATE TRIGGER contact_number_update AFTER UPDATE ON contact
REFERENCING OLD TABLE AS old_contacts NEW TABLE AS new_contacts
FOR EACH STATEMENT EXECUTE FUNCTION contact_number_keep();
