-- Requests in flight per account, shared by every instance on one database (used on
-- PostgreSQL; SQLite instances count in memory). A lease is one running request: deleted when
-- the request ends, and lapsed at `expires_ms` (the request deadline plus a margin) should its
-- instance die first.
CREATE TABLE account_leases (
    account_id  TEXT NOT NULL,
    lease_id    TEXT NOT NULL,
    expires_ms  BIGINT NOT NULL,
    PRIMARY KEY (account_id, lease_id)
);
CREATE INDEX account_leases_expires ON account_leases (expires_ms);

-- One row per account, written by every acquire inside its transaction: it serializes the
-- acquires of one account across instances, so parallel requests cannot all pass the limit.
CREATE TABLE account_lease_locks (
    account_id  TEXT PRIMARY KEY,
    touched_ms  BIGINT NOT NULL
);
