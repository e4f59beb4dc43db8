//! Scheduled purges of rows nobody needs any more: spent or expired refresh tokens and their
//! families, and finished webhook deliveries past their retention.

use super::{Store, StoreError};

/// Rows removed by [`Store::purge_tokens`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgedTokens {
    /// Refresh tokens.
    pub refresh_tokens: u64,
    /// Token families.
    pub families: u64,
}

impl Store {
    /// Deletes refresh tokens that expired before `now`, and families (with their tokens) that
    /// were revoked more than `grace_secs` ago, or hold no token any more and were created more
    /// than `grace_secs` ago. `grace_secs` must cover the access-token lifetime (plus leeway):
    /// a revoked family is what denies the access tokens issued with it until they expire.
    pub async fn purge_tokens(&self, now: i64, grace_secs: i64) -> Result<PurgedTokens, StoreError> {
        let cut = now - grace_secs;
        let refresh_tokens = sqlx::query(
            "DELETE FROM refresh_tokens WHERE expires_at < $1 OR family_id IN \
             (SELECT id FROM token_families WHERE revoked_at IS NOT NULL AND revoked_at < $2)",
        )
        .bind(now)
        .bind(cut)
        .execute(self.pool())
        .await?
        .rows_affected();
        let families = sqlx::query(
            "DELETE FROM token_families WHERE (revoked_at IS NOT NULL AND revoked_at < $1) \
             OR (revoked_at IS NULL AND created_at < $1 AND NOT EXISTS \
                 (SELECT 1 FROM refresh_tokens r WHERE r.family_id = token_families.id))",
        )
        .bind(cut)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(PurgedTokens { refresh_tokens, families })
    }

    /// Deletes delivered and failed webhook deliveries (with their attempts) created before
    /// `before_ms`; pending ones stay. Returns how many deliveries.
    pub async fn purge_deliveries(&self, before_ms: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries \
             WHERE created_at < $1 AND status <> 'pending')",
        )
        .bind(before_ms)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query("DELETE FROM webhook_deliveries WHERE created_at < $1 AND status <> 'pending'")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}
