-- External secrets (Fernet-encrypted under the master key), their version
-- history (HMAC digests, never values), live settings, service-account tokens.

CREATE TABLE secrets (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    category        TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    test_config     TEXT,
    ciphertext      TEXT NOT NULL,
    version         INTEGER NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    expires_at      TEXT,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted_at      TEXT
);

CREATE TABLE secret_versions (
    secret_id   TEXT NOT NULL REFERENCES secrets (id),
    version     INTEGER NOT NULL,
    digest      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    PRIMARY KEY (secret_id, version)
);

CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);

-- Service accounts log in with a token (only its SHA-256 is kept) and read
-- the secrets whose names match their patterns.
CREATE TABLE service_accounts (
    user_id     TEXT PRIMARY KEY REFERENCES users (id),
    token_hash  TEXT NOT NULL,
    patterns    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- Key material the broker derives from, stored encrypted under the master key
-- (e.g. the HMAC key of version digests, stable across master-key rotation).
CREATE TABLE key_material (
    name        TEXT PRIMARY KEY,
    ciphertext  TEXT NOT NULL
);
