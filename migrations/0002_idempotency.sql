-- Results of APPEND/copy/move requests sent with an Idempotency-Key, replayed on retries.
-- status 0 marks a request still running.
CREATE TABLE idempotency_keys (
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    idem_key    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      BIGINT NOT NULL,
    location    TEXT,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
