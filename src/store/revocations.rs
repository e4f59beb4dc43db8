//! The `revoked_tokens` table: a deny-list of access-token ids until they expire.

use sqlx::Row;

use super::{Store, StoreError, now};

impl Store {
    /// Denies the access token `jti` until `expires_at` (idempotent).
    pub async fn revoke_jti(&self, jti: &str, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
            .bind(jti)
            .bind(expires_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// True if `jti` was revoked.
    pub async fn is_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM revoked_tokens WHERE jti = $1")
            .bind(jti)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// Forgets revocations of tokens that have expired anyway; returns how many.
    pub async fn sweep_revocations(&self) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1")
            .bind(now() - 60)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
