-- The dialer's tables: contact lists and contacts, do-not-call numbers, campaigns with
-- their templates, runs and events, the call attempts, the exchange table an external
-- application writes, and the API keys.

-- A contact list: its settings (retry policy, region and zone defaults) as JSON, read
-- by the dialer with the same schema as the API's.
CREATE TABLE contact_list (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    accountcode TEXT NOT NULL,
    active BIGINT NOT NULL,
    settings TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- A contact: its numbers in E.164 (separated by '|', used in turn, one per attempt),
-- its variables (a JSON object of the CSV's other columns, by header name), its zone,
-- and where it stands: state 'ready' (due at next_at_ms), 'dialing' (taken by the
-- dialer of host claimed_by; an attempt is about to be or being made) or 'done'
-- (status says why).
-- attempts counts attempts started, written before each INVITE: a restart never makes
-- a contact be called more than its maximum.
CREATE TABLE contact (
    id INTEGER PRIMARY KEY,
    list_id BIGINT NOT NULL REFERENCES contact_list (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    numbers TEXT NOT NULL,
    variables TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    schedule_extension TEXT,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at_ms BIGINT NOT NULL,
    status TEXT,
    external_id TEXT,
    claimed_by TEXT,
    updated_at_ms BIGINT NOT NULL
);
-- The scheduler's pick: a list's due contacts, oldest first.
CREATE INDEX contact_due ON contact (list_id, state, next_at_ms);

-- Numbers never to call: list_id 0 for every list; until_ms NULL for ever.
CREATE TABLE do_not_call (
    number TEXT NOT NULL,
    list_id BIGINT NOT NULL,
    until_ms BIGINT,
    reason TEXT NOT NULL,
    added_at_ms BIGINT NOT NULL,
    PRIMARY KEY (number, list_id)
);

-- Campaign templates (Kalliope's "modelli"): settings a campaign starts from.
CREATE TABLE campaign_template (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    settings TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- A campaign: its settings as JSON (every field of the product's section 3), its
-- lifecycle state, and the columns the scheduler orders by.
CREATE TABLE campaign (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    template_id BIGINT,
    state TEXT NOT NULL,
    settings TEXT NOT NULL,
    priority BIGINT NOT NULL,
    run BIGINT NOT NULL,
    start_at_ms BIGINT,
    started_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- The lists a campaign dials.
CREATE TABLE campaign_list (
    campaign_id BIGINT NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
    list_id BIGINT NOT NULL REFERENCES contact_list (id) ON DELETE CASCADE,
    PRIMARY KEY (campaign_id, list_id)
);

-- Each run of a campaign, with a snapshot of the settings it ran with, readable after
-- the campaign is edited or deleted (no foreign key on purpose).
CREATE TABLE campaign_run (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL,
    campaign_name TEXT NOT NULL,
    run BIGINT NOT NULL,
    settings TEXT NOT NULL,
    started_at_ms BIGINT NOT NULL,
    ended_at_ms BIGINT,
    result TEXT
);

-- What happened to a campaign, in order (started, paused, finished, ...).
CREATE TABLE campaign_event (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL,
    run BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX campaign_event_campaign ON campaign_event (campaign_id, at_ms);

-- One call attempt, written before its INVITE and updated at every step (state
-- 'dialing', 'ringing', 'answered', 'ended', or 'interrupted' when a crash cut it),
-- by the dialer of `host`: after a crash, a host closes its own attempts only.
CREATE TABLE attempt (
    id INTEGER PRIMARY KEY,
    host TEXT NOT NULL,
    campaign_id BIGINT NOT NULL,
    run BIGINT NOT NULL,
    list_id BIGINT NOT NULL,
    contact_id BIGINT NOT NULL,
    number TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    state TEXT NOT NULL,
    trunk TEXT,
    started_at_ms BIGINT NOT NULL,
    ring_at_ms BIGINT,
    answer_at_ms BIGINT,
    end_at_ms BIGINT,
    ring_ms BIGINT,
    talk_ms BIGINT,
    sip_code BIGINT,
    cause BIGINT,
    outcome TEXT,
    status TEXT,
    retry BIGINT,
    next_at_ms BIGINT,
    tags TEXT NOT NULL,
    agent TEXT,
    confirmed BIGINT NOT NULL
);
CREATE INDEX attempt_contact ON attempt (contact_id);
CREATE INDEX attempt_campaign ON attempt (campaign_id, run);
CREATE INDEX attempt_state ON attempt (state);

-- The exchange table (TVox's ast_pd_interface): an external application inserts rows
-- (its own id, the number, the campaign and list by name, data for the screen pop);
-- the host picks them up into contacts (picked_at_ms, and contact_id or the error
-- that kept the row out).
CREATE TABLE interface (
    id TEXT PRIMARY KEY,
    phone_number TEXT NOT NULL,
    campaign TEXT NOT NULL,
    list TEXT NOT NULL,
    data TEXT NOT NULL,
    picked_at_ms BIGINT,
    contact_id BIGINT,
    error TEXT
);
CREATE INDEX interface_pending ON interface (picked_at_ms);

-- API keys: only a SHA-256 of the key is kept; permissions is a JSON array of the
-- methods (API operation names) the key may call, or ["*"].
CREATE TABLE api_key (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    permissions TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    last_used_at_ms BIGINT
);
