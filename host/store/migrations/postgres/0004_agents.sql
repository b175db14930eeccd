-- Same schema as migrations/sqlite/0004_agents.sql (a test compares the two).
-- Agents: who takes answered campaign calls, on which phone (the address of record
-- their phone registers), in which state since when. A wrap-up ends by itself
-- wrap_up_s after it began.
CREATE TABLE agent (
    name TEXT PRIMARY KEY,
    extension TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    reason TEXT,
    since_ms BIGINT NOT NULL,
    wrap_up_s BIGINT NOT NULL
);

-- Queues ("services" in TVox) and the agents who take their calls.
CREATE TABLE queue_member (
    queue TEXT NOT NULL,
    agent TEXT NOT NULL REFERENCES agent (name) ON DELETE CASCADE,
    PRIMARY KEY (queue, agent)
);
