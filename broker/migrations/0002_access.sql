-- Just-in-time access: requests, their decisions, and the grants they create.
-- Only Vault lease ids are stored, never credentials.

CREATE TABLE access_requests (
    id                           TEXT PRIMARY KEY,
    user_id                      TEXT NOT NULL REFERENCES users (id),
    database_name                TEXT NOT NULL,
    reason                       TEXT NOT NULL,
    requested_duration_seconds   INTEGER NOT NULL,
    duration_seconds             INTEGER NOT NULL,
    state                        TEXT NOT NULL,
    created_at                   TEXT NOT NULL,
    pending_until                TEXT NOT NULL,
    decided_at                   TEXT,
    decided_by                   TEXT,
    decision_comment             TEXT
);
CREATE INDEX access_requests_state ON access_requests (state, database_name);
CREATE INDEX access_requests_user ON access_requests (user_id, state);

CREATE TABLE grants (
    id               TEXT PRIMARY KEY,
    request_id       TEXT NOT NULL UNIQUE REFERENCES access_requests (id),
    user_id          TEXT NOT NULL REFERENCES users (id),
    database_name    TEXT NOT NULL,
    state            TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    ended_at         TEXT,
    end_reason       TEXT,
    -- The Vault lease of the grant's current credentials; NULL once revoked in Vault.
    lease_id         TEXT,
    lease_expires_at TEXT,
    -- Leases that still have to be revoked in Vault (JSON array), retried until Vault confirms.
    revoke_pending   TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX grants_state ON grants (state, expires_at);
CREATE INDEX grants_user ON grants (user_id, state);
