-- Who changed an agent's state by hand, from what to what, when: a supervisor setting
-- an agent ready, paused or logged out is answerable for it. The dialer's own moves
-- (a call taken, a wrap-up ended) are not here.
CREATE TABLE agent_change (
    id INTEGER PRIMARY KEY,
    agent TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    reason TEXT,
    at_ms BIGINT NOT NULL
);
CREATE INDEX agent_change_agent ON agent_change (agent, at_ms);
