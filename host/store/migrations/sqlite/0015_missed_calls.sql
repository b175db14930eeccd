-- Missed calls to call back (Kalliope's Missed Calls): one request per caller number
-- while it is not closed, whatever the number of their calls; each call, callback,
-- booking and closure is a line of missed_event, the request's history.
--
-- state: open (listed; booked_by, when set, is the one operator who may call it),
-- calling (hidden from every list while an operator's call to it runs: its attempt in
-- calling_attempt, NULL until written), closed (closure: callback, inbound, forced,
-- flushed). The partial unique index keeps one request a caller that is not closed,
-- and is what an intake's upsert and a campaign's check of a booked number read.
CREATE TABLE missed_request (
    id INTEGER PRIMARY KEY,
    caller TEXT NOT NULL,
    state TEXT NOT NULL,
    first_call_ms BIGINT NOT NULL,
    last_call_ms BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    recalled BIGINT NOT NULL,
    last_recalled_ms BIGINT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    called TEXT NOT NULL,
    accountcode TEXT NOT NULL,
    booked_by TEXT,
    assigned_by TEXT,
    calling_by TEXT,
    calling_attempt BIGINT,
    calling_since_ms BIGINT,
    closure TEXT,
    closed_by TEXT,
    closed_at_ms BIGINT
);
CREATE UNIQUE INDEX missed_request_caller ON missed_request (caller) WHERE state <> 'closed';
CREATE INDEX missed_request_state ON missed_request (state, last_call_ms);
CREATE INDEX missed_request_booked ON missed_request (booked_by, state);
CREATE INDEX missed_request_closed ON missed_request (closed_at_ms);

-- kind: call (a missed call: unique_id is the PBX's, at most once; servicecode and
-- params as the PBX sent them), callback (an operator's call: attempt, outcome,
-- talk_ms), booked, unbooked, assigned, unassigned, closed, flushed (actor: who).
CREATE TABLE missed_event (
    id INTEGER PRIMARY KEY,
    request_id BIGINT,
    at_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT,
    unique_id TEXT UNIQUE,
    attempt_id BIGINT,
    outcome TEXT,
    talk_ms BIGINT,
    detail TEXT NOT NULL
);
CREATE INDEX missed_event_request ON missed_event (request_id, at_ms);
CREATE INDEX missed_event_at ON missed_event (at_ms);
