-- One row per start of a host: when it started, which version, and when it stopped
-- cleanly. The recovery pass at start reads the previous row to know whether calls may
-- have been cut off by a crash. Times are milliseconds since the Unix epoch (UTC) on
-- both engines, so that the same queries serve SQLite and PostgreSQL.
CREATE TABLE host_start (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at_ms BIGINT NOT NULL,
    version TEXT NOT NULL,
    -- Set by a clean stop; NULL after a crash or kill -9.
    stopped_at_ms BIGINT
);
