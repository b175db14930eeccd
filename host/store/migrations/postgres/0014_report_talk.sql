-- SQLite's attempt_report now holds the attempts' talk time (0014 there), so that the
-- detailed report reads each contact's last attempt from the index alone. Here the
-- index holds no text (0013), so the attempt is read from the table whatever the
-- index holds: nothing changes.
SELECT 1;
