-- Broker core: users, sessions, login throttling, the audit chain.
-- Portable SQL (SQLite now, PostgreSQL later): TEXT ids and RFC 3339 times.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    roles         TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    client_addr  TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed logins, by user name and by client address, for throttling.
CREATE TABLE login_failures (
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    at    TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (scope, key, at);

-- Append-only, hash-chained. seq has no gaps; hash = SHA-256(prev_hash || content).
CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    time        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    client_addr TEXT,
    user_agent  TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    outcome     TEXT NOT NULL,
    reason      TEXT,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_actor ON audit_events (actor, seq);
CREATE INDEX audit_events_action ON audit_events (action, seq);

-- The chain's head, updated in the same transaction as each batch: a truncated
-- tail (deleting the newest rows) no longer matches it.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
