-- What an answered call's attempt also records: who hung up (TVox's "hung up by the
-- callee" against "closed by the system"), the queue's result (QUEUE_ANSWER,
-- QUEUE_TIMEOUT, QUEUE_HANGUP, ABANDONED) and the IVR's.
ALTER TABLE attempt ADD COLUMN hangup_by TEXT;
ALTER TABLE attempt ADD COLUMN queue_result TEXT;
ALTER TABLE attempt ADD COLUMN ivr_result TEXT;

-- An agent on a call: the host whose call took them (a restarted host frees only its
-- own), and since when they had been free, so that an agent whose caller went away
-- before they answered keeps their place in the queue.
ALTER TABLE agent ADD COLUMN taken_by TEXT;
ALTER TABLE agent ADD COLUMN free_since_ms BIGINT;
-- The attempt whose call the agent is on: their screen pop, read through the API.
ALTER TABLE agent ADD COLUMN attempt_id BIGINT;
