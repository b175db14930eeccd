-- People who sign in to the web panel: their role (admin, supervisor, agent), language,
-- an argon2id hash of their password (PHC string), and for an agent the agent they
-- are. `disabled` is 0 or 1 (no BOOLEAN: the Any driver cannot decode SQLite's).
CREATE TABLE web_user (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    language TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    agent TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- Signed-in sessions, kept so that a restart keeps people signed in. Only a hash of
-- the cookie's token is stored; the CSRF token is the session's own.
CREATE TABLE web_session (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES web_user (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    last_seen_at_ms BIGINT NOT NULL
);
CREATE INDEX web_session_user ON web_session (user_id);
