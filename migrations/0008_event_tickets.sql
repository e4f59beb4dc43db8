-- Single-use tickets for `GET /v1/events?ticket=…` (a browser's EventSource cannot send
-- Authorization). Only the ticket's SHA-256 is stored. `claims` is the JSON of the access
-- token that asked for the ticket: the stream it opens ends when that token expires or is
-- revoked. A ticket is deleted when used; expired ones are purged.
CREATE TABLE event_tickets (
    ticket_hash    TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    mailboxes      TEXT NOT NULL,
    last_event_id  TEXT,
    claims         TEXT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX event_tickets_account ON event_tickets (account_id, expires_at);
CREATE INDEX event_tickets_expires ON event_tickets (expires_at);
