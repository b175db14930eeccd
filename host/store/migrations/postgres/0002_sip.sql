-- Same schema as migrations/sqlite/0002_sip.sql (a test compares the two).
-- Registrations of phones with the registrar (RFC 3261 10): one row per address of
-- record and contact, with the source address the REGISTER came from (the phone's
-- address behind NAT) and when the binding expires. Kept in the store so that a
-- restart does not make every phone unreachable until it registers again.
CREATE TABLE sip_binding (
    aor TEXT NOT NULL,
    contact TEXT NOT NULL,
    source TEXT NOT NULL,
    transport TEXT NOT NULL,
    call_id TEXT NOT NULL,
    cseq BIGINT NOT NULL,
    user_agent TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (aor, contact)
);
CREATE INDEX sip_binding_expires ON sip_binding (expires_at_ms);

-- Trunks kept in the store (the API edits them), as the JSON of the configuration
-- file's [[trunks]] section so that both sources mean the same thing.
CREATE TABLE trunk (
    name TEXT PRIMARY KEY,
    settings TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
