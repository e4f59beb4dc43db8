-- Portable across SQLite and PostgreSQL: TEXT ids, BIGINT unix seconds, no vendor types.
CREATE TABLE accounts (
    id                 TEXT PRIMARY KEY,
    server             TEXT NOT NULL,
    username           TEXT NOT NULL,
    credential_version BIGINT NOT NULL,
    -- v1:<key id>:<nonce b64>:<ciphertext b64>; AAD binds it to this row's id
    secret             TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (server, username)
);

-- A login starts a family; every refresh token descends from one. Revoking the family (logout,
-- reuse of a spent token) kills all its tokens, including ones inserted by a racing refresh.
CREATE TABLE token_families (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    family_id   TEXT NOT NULL REFERENCES token_families (id) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
