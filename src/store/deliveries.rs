//! The `webhook_deliveries` and `webhook_attempts` tables: the persisted delivery queue. A
//! delivery is claimed with a lease (`locked_until`) by one worker of one instance at a time.
//! Times here are milliseconds since the epoch.

use sqlx::Row;

use super::{Store, StoreError};

/// A delivery due for an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    /// Delivery id.
    pub id: String,
    /// Its webhook.
    pub webhook_id: String,
    /// The webhook's account.
    pub account_id: String,
    /// Event type.
    pub event_type: String,
    /// The JSON body, signed as is.
    pub body: String,
    /// Attempts made so far.
    pub attempts: i64,
}

/// One attempt, as shown by `GET /v1/webhooks/{id}/deliveries`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// 1-based.
    pub attempt: i64,
    /// Seconds since the epoch.
    pub at: i64,
    /// The receiver's HTTP status.
    pub http_status: Option<i64>,
    /// What went wrong, if it did.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// A delivery with its attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Delivery id.
    pub id: String,
    /// Event type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: i64,
    /// Created, seconds since the epoch.
    pub created_at: i64,
    /// The attempts, oldest first.
    pub history: Vec<Attempt>,
}

impl Store {
    /// Queues a delivery; false if this event was already queued for this webhook, or if the
    /// webhook is gone (deleted while its events were being queued: nothing to deliver).
    pub async fn enqueue_delivery(
        &self,
        id: &str,
        webhook_id: &str,
        event_key: &str,
        event_type: &str,
        body: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, event_key, event_type, body, status, attempts, \
             next_attempt_at, locked_until, last_status, last_error, created_at) \
             SELECT $1, $2, $3, $4, $5, 'pending', 0, $6, 0, NULL, NULL, $6 \
             WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = $2) \
             ON CONFLICT (webhook_id, event_key) DO NOTHING",
        )
        .bind(id)
        .bind(webhook_id)
        .bind(event_key)
        .bind(event_type)
        .bind(body)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Up to `limit` pending deliveries that are due and not leased, taking turns between
    /// accounts: every account's oldest due delivery first, then every account's second, and
    /// so on, so that one account's backlog never hides another account's deliveries.
    pub async fn due_deliveries(&self, now: i64, limit: i64) -> Result<Vec<Due>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, webhook_id, account_id, event_type, body, attempts FROM ( \
               SELECT d.id, d.webhook_id, w.account_id, d.event_type, d.body, d.attempts, d.next_attempt_at, \
                 d.created_at, ROW_NUMBER() OVER (PARTITION BY w.account_id \
                   ORDER BY d.next_attempt_at, d.created_at, d.id) AS turn \
               FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
               WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND d.locked_until <= $1 \
             ) due ORDER BY turn, next_attempt_at, created_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Due {
                    id: r.try_get("id")?,
                    webhook_id: r.try_get("webhook_id")?,
                    account_id: r.try_get("account_id")?,
                    event_type: r.try_get("event_type")?,
                    body: r.try_get("body")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Leases a due delivery until `until`; false if another worker has it.
    pub async fn claim_delivery(&self, id: &str, now: i64, until: i64) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE webhook_deliveries SET locked_until = $1 \
             WHERE id = $2 AND status = 'pending' AND locked_until <= $3 AND next_attempt_at <= $3",
        )
        .bind(until)
        .bind(id)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Records an attempt and the delivery's new status (`delivered`, `failed`, or `pending`
    /// again at `next_attempt_at`), releasing the lease. False if the delivery is gone (its
    /// webhook was deleted during the attempt): nothing is recorded then.
    pub async fn finish_attempt(
        &self,
        id: &str,
        a: &Attempt,
        status: &str,
        next_attempt_at: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        // The update first: an attempt row for a deleted delivery would break its foreign key.
        let n = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, locked_until = 0, \
             last_status = $4, last_error = $5 WHERE id = $6",
        )
        .bind(status)
        .bind(a.attempt)
        .bind(next_attempt_at)
        .bind(a.http_status)
        .bind(a.error.as_deref())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, http_status, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id, attempt) DO NOTHING",
        )
        .bind(id)
        .bind(a.attempt)
        .bind(a.at)
        .bind(a.http_status)
        .bind(a.error.as_deref())
        .bind(a.duration_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The webhook's most recent deliveries, newest first, with their attempts.
    pub async fn recent_deliveries(&self, webhook_id: &str, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, event_type, status, attempts, next_attempt_at, created_at FROM webhook_deliveries \
             WHERE webhook_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            let attempts = sqlx::query(
                "SELECT attempt, at, http_status, error, duration_ms FROM webhook_attempts \
                 WHERE delivery_id = $1 ORDER BY attempt",
            )
            .bind(&id)
            .fetch_all(self.pool())
            .await?;
            let history = attempts
                .iter()
                .map(|a| {
                    Ok(Attempt {
                        attempt: a.try_get("attempt")?,
                        at: a.try_get("at")?,
                        http_status: a.try_get("http_status")?,
                        error: a.try_get("error")?,
                        duration_ms: a.try_get("duration_ms")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            out.push(Delivery {
                id,
                event_type: r.try_get("event_type")?,
                status: r.try_get("status")?,
                attempts: r.try_get("attempts")?,
                next_attempt_at: r.try_get("next_attempt_at")?,
                created_at: r.try_get("created_at")?,
                history,
            });
        }
        Ok(out)
    }
}
