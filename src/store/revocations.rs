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
        self.revocations.revoke_jti(jti);
        Ok(())
    }

    /// True if the access token `jti`, or the family `family_id` it was issued with, has been
    /// revoked. One round trip, unless the same token was found good within the last second
    /// (`revocation_cache`).
    pub async fn access_revoked(&self, jti: &str, family_id: &str) -> Result<bool, StoreError> {
        if self.revocations.known_good(jti, family_id) {
            return Ok(false);
        }
        let epoch = self.revocations.epoch();
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM revoked_tokens WHERE jti = $1) \
             + (SELECT COUNT(*) FROM token_families WHERE id = $2 AND revoked_at IS NOT NULL) AS n",
        )
        .bind(jti)
        .bind(family_id)
        .fetch_one(self.pool())
        .await?;
        let revoked = row.try_get::<i64, _>("n")? > 0;
        if !revoked {
            self.revocations.good(jti, family_id, epoch);
        }
        Ok(revoked)
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
