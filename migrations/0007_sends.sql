-- Messages each account submitted in the last hour, for the send rate limit (`smtp.per_hour`),
-- shared by every instance on one database. A row is written before a submission and deleted
-- when nothing was sent; rows older than an hour are removed by the account's next send.
CREATE TABLE sends (
    account_id  TEXT NOT NULL,
    send_id     TEXT NOT NULL,
    sent_at     BIGINT NOT NULL,
    PRIMARY KEY (account_id, send_id)
);
CREATE INDEX sends_account_time ON sends (account_id, sent_at);
