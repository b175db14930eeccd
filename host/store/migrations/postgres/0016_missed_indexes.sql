-- The missed calls' lists (Store::missed_requests) over the requests not closed, the
-- ones every page but "closed" shows: in the order of their last call (the default
-- order, and every deep page of it), and within one queue or one accountcode in that
-- order or over a span of last calls; and by times recalled (the supervisors'
-- filter), in the order of the calls counted. Each is partial, like missed_request_caller: the
-- closed requests, which only grow, stay out of them. Without them, a page over
-- 100,000 open requests read them all and sorted them: 35 to 130 ms a page on SQLite,
-- 1 to 7 ms with them; they cost the intake's writes (docs/benchmarks.md).
CREATE INDEX missed_request_pending_last ON missed_request (last_call_ms)
    WHERE state <> 'closed';
CREATE INDEX missed_request_pending_name ON missed_request (name, last_call_ms)
    WHERE state <> 'closed';
CREATE INDEX missed_request_pending_accountcode ON missed_request (accountcode, last_call_ms)
    WHERE state <> 'closed';
CREATE INDEX missed_request_pending_recalled ON missed_request (recalled, calls)
    WHERE state <> 'closed';
