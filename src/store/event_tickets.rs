//! The `event_tickets` table: single-use tickets that open one event stream without an
//! `Authorization` header. Stored by hash; taking one deletes it in the same statement, so a
//! ticket opens at most one stream, on any instance.

use sqlx::Row;

use super::{Store, StoreError};

/// What a ticket was issued for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventTicket {
    /// The account.
    pub account_id: String,
    /// The mailboxes, as a JSON array of names.
    pub mailboxes: String,
    /// Where the stream resumes, if the ticket says.
    pub last_event_id: Option<String>,
    /// The JSON claims of the access token that asked for it.
    pub claims: String,
}

impl Store {
    /// Stores `ticket` under `hash` until `expires_at` (unix seconds) if the account holds fewer
    /// than `limit` unexpired tickets at `now`; false (nothing stored) otherwise.
    pub async fn put_event_ticket(
        &self,
        hash: &str,
        ticket: &EventTicket,
        now: i64,
        expires_at: i64,
        limit: i64,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "INSERT INTO event_tickets (ticket_hash, account_id, mailboxes, last_event_id, claims, expires_at) \
             SELECT $1, $2, $3, $4, $5, $6 \
             WHERE (SELECT count(*) FROM event_tickets WHERE account_id = $2 AND expires_at > $7) < $8",
        )
        .bind(hash)
        .bind(&ticket.account_id)
        .bind(&ticket.mailboxes)
        .bind(ticket.last_event_id.as_deref())
        .bind(&ticket.claims)
        .bind(expires_at)
        .bind(now)
        .bind(limit.max(1))
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Takes the ticket stored under `hash`: deletes it and returns it if it had not expired at
    /// `now`. A second take of the same ticket finds nothing.
    pub async fn take_event_ticket(&self, hash: &str, now: i64) -> Result<Option<EventTicket>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM event_tickets WHERE ticket_hash = $1 \
             RETURNING account_id, mailboxes, last_event_id, claims, expires_at",
        )
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        if row.try_get::<i64, _>("expires_at")? <= now {
            return Ok(None);
        }
        Ok(Some(EventTicket {
            account_id: row.try_get("account_id")?,
            mailboxes: row.try_get("mailboxes")?,
            last_event_id: row.try_get("last_event_id")?,
            claims: row.try_get("claims")?,
        }))
    }

    /// Deletes tickets that expired before `now`; returns how many.
    pub async fn purge_event_tickets(&self, now: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM event_tickets WHERE expires_at < $1")
            .bind(now)
            .execute(self.pool())
            .await?
            .rows_affected())
    }
}
