//! The `idempotency_keys` table: the first result of a write sent with an `Idempotency-Key`,
//! replayed when the same key comes again.

use sqlx::Row;

use super::{Store, StoreError, now};

/// A stored result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Saved {
    /// What the request was (route, mailbox, body hash).
    pub fingerprint: String,
    /// HTTP status; 0 while the first request is still running.
    pub status: i64,
    /// `Location` header, if any.
    pub location: Option<String>,
    /// JSON body.
    pub body: String,
}

impl Store {
    /// Claims `key` for a new request. Returns None if claimed now, or what is stored already.
    pub async fn claim_idempotency_key(
        &self,
        account: &str,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<Saved>, StoreError> {
        let claimed = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, idem_key, fingerprint, status, location, body, created_at) \
             VALUES ($1, $2, $3, 0, NULL, '', $4) ON CONFLICT (account_id, idem_key) DO NOTHING",
        )
        .bind(account)
        .bind(key)
        .bind(fingerprint)
        .bind(now())
        .execute(self.pool())
        .await?
        .rows_affected()
            == 1;
        if claimed {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT fingerprint, status, location, body FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2",
        )
        .bind(account)
        .bind(key)
        .fetch_one(self.pool())
        .await?;
        Ok(Some(Saved {
            fingerprint: row.try_get("fingerprint")?,
            status: row.try_get("status")?,
            location: row.try_get("location")?,
            body: row.try_get("body")?,
        }))
    }

    /// Stores the result of a claimed key.
    pub async fn complete_idempotency_key(
        &self,
        account: &str,
        key: &str,
        status: i64,
        location: Option<&str>,
        body: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, location = $2, body = $3 WHERE account_id = $4 AND idem_key = $5",
        )
        .bind(status)
        .bind(location)
        .bind(body)
        .bind(account)
        .bind(key)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Releases a claimed key after a failure, so that a retry runs again.
    pub async fn release_idempotency_key(&self, account: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2 AND status = 0")
            .bind(account)
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets keys older than `max_age_secs`; returns how many.
    pub async fn sweep_idempotency_keys(&self, max_age_secs: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(now() - max_age_secs)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
