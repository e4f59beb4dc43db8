-- Failed logins shared by every instance on one database (used on PostgreSQL; SQLite
-- instances count in memory). `limit_key` is the SHA-256 of `ip:<addr>` or `user:<name>`;
-- `mark` names one attempt (its rows go when it turns out not to be a failure).
CREATE TABLE login_failures (
    limit_key  TEXT NOT NULL,
    mark       TEXT NOT NULL,
    at_ms      BIGINT NOT NULL,
    PRIMARY KEY (limit_key, mark)
);
CREATE INDEX login_failures_mark ON login_failures (mark);
CREATE INDEX login_failures_at ON login_failures (at_ms);

-- One row per key, updated at every check inside the checking transaction: it serializes the
-- checks of one key across instances, so parallel attempts cannot all pass the limit.
CREATE TABLE login_limit_keys (
    limit_key   TEXT PRIMARY KEY,
    touched_ms  BIGINT NOT NULL
);
CREATE INDEX login_limit_keys_touched ON login_limit_keys (touched_ms);
