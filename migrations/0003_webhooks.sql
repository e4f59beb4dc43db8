-- Webhooks per account, their persisted delivery queue with attempts, and the last state each
-- watched mailbox was delivered at (so that a restart resumes rather than forgets).
CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,
    mailboxes   TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_key       TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    locked_until    BIGINT NOT NULL,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    UNIQUE (webhook_id, event_key)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

CREATE TABLE webhook_attempts (
    delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt      BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    http_status  BIGINT,
    error        TEXT,
    duration_ms  BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE webhook_cursors (
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    mailbox     TEXT NOT NULL,
    state       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, mailbox)
);

-- Which instance dispatches an account's webhooks (one at a time; the lease is renewed).
CREATE TABLE webhook_leases (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    owner       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
