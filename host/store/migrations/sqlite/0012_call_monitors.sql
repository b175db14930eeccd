-- Who listened in on whose call, when, and how: a supervisor's phone put on an
-- agent's call (mode listen, whisper or barge; the phone rung in extension), each
-- change of mode, and the stop asked (mode NULL); a change or a stop concerns the
-- phone of the latest start (extension NULL). A supervisor hearing a customer is
-- answerable for it.
CREATE TABLE call_monitor (
    id INTEGER PRIMARY KEY,
    attempt_id BIGINT NOT NULL,
    agent TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    extension TEXT,
    mode TEXT,
    at_ms BIGINT NOT NULL
);
CREATE INDEX call_monitor_agent ON call_monitor (agent, at_ms);
