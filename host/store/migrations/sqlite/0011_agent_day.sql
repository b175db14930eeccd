-- Every state an agent entered, with its reason, from when until when: the agent's day
-- (calls, time talking, in wrap-up, paused by reason) that the live pages and the
-- agents' report read. Written by triggers on `agent`, so that every path that moves
-- an agent (their desk, a supervisor, a call taken or released, a restart) is logged.
-- `until_ms` is NULL for the state the agent is in now.
CREATE TABLE agent_state_log (
    id INTEGER PRIMARY KEY,
    agent TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    since_ms BIGINT NOT NULL,
    until_ms BIGINT
);
CREATE INDEX agent_state_log_until ON agent_state_log (until_ms);
CREATE INDEX agent_state_log_agent ON agent_state_log (agent, since_ms);
CREATE INDEX agent_state_log_open ON agent_state_log (agent) WHERE until_ms IS NULL;

INSERT INTO agent_state_log (agent, state, reason, since_ms)
    SELECT name, state, reason, since_ms FROM agent;

CREATE TRIGGER agent_state_log_created AFTER INSERT ON agent
BEGIN
    INSERT INTO agent_state_log (agent, state, reason, since_ms)
        VALUES (NEW.name, NEW.state, NEW.reason, NEW.since_ms);
END;

CREATE TRIGGER agent_state_log_moved AFTER UPDATE OF state, reason, since_ms ON agent
    WHEN NEW.state IS NOT OLD.state OR NEW.reason IS NOT OLD.reason
        OR NEW.since_ms IS NOT OLD.since_ms
BEGIN
    UPDATE agent_state_log SET until_ms = NEW.since_ms
        WHERE agent = NEW.name AND until_ms IS NULL;
    INSERT INTO agent_state_log (agent, state, reason, since_ms)
        VALUES (NEW.name, NEW.state, NEW.reason, NEW.since_ms);
END;

CREATE TRIGGER agent_state_log_deleted AFTER DELETE ON agent
BEGIN
    UPDATE agent_state_log SET until_ms = OLD.since_ms
        WHERE agent = OLD.name AND until_ms IS NULL;
END;

-- The agent's note on a call, with its disposition.
ALTER TABLE attempt ADD COLUMN note TEXT;
-- An agent's calls, newest first: their desk's calls of today.
CREATE INDEX attempt_agent ON attempt (agent, end_at_ms);
