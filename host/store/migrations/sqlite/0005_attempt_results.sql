-- What an answered call's attempt also records: who hung up (TVox's "hung up by the
-- callee" against "closed by the system"), the queue's result (QUEUE_ANSWER,
-- QUEUE_TIMEOUT, QUEUE_HANGUP, ABANDONED) and the IVR's.
ALTER TABLE attempt ADD COLUMN hangup_by TEXT;
ALTER TABLE attempt ADD COLUMN queue_result TEXT;
ALTER TABLE attempt ADD COLUMN ivr_result TEXT;
