-- Calls to the host's own numbers ([[inbound]] lines), written when they arrive and
-- as they go, so that a crash loses none: a call still waiting when its host
-- restarts reached nobody and becomes a missed-call request.
--
-- state: waiting (in the queue), talking (an agent took it: agent, connected_ms),
-- ended (result: served, hangup, max_wait, closed, no_agents, failed, interrupted).
-- caller: E.164 when the trunk's caller ID reads as a number, else as it came.
CREATE TABLE inbound_call (
    id INTEGER PRIMARY KEY,
    host TEXT NOT NULL,
    caller TEXT NOT NULL,
    number TEXT NOT NULL,
    queue TEXT NOT NULL,
    arrived_ms BIGINT NOT NULL,
    state TEXT NOT NULL,
    agent TEXT,
    connected_ms BIGINT,
    ended_ms BIGINT,
    result TEXT
);
CREATE INDEX inbound_call_live ON inbound_call (host, state);
CREATE INDEX inbound_call_arrived ON inbound_call (arrived_ms);
