//! The `token_families` and `refresh_tokens` tables: hashed, single-use refresh tokens grouped
//! in families, so that reuse of a spent token (or a logout) revokes the whole family.

use sqlx::Row;

use super::{Store, StoreError, now};

/// What consuming a refresh token found.
#[derive(Debug, PartialEq, Eq)]
pub enum Consumed {
    /// The token was valid and is now spent.
    Ok {
        /// Its family.
        family_id: String,
        /// Its account.
        account_id: String,
        /// When its family started (the login), unix seconds.
        family_started: i64,
    },
    /// The token was already spent, or its family revoked: the family is (now) revoked.
    Reused,
    /// The token was spent moments ago (within the grace period): a concurrent use of the
    /// same token, such as a retry or a race between instances. Refused, nothing revoked.
    Raced,
    /// Unknown or expired.
    Invalid,
}

impl Store {
    /// Starts a token family for `account_id`.
    pub async fn insert_family(&self, family_id: &str, account_id: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO token_families (id, account_id, created_at) VALUES ($1, $2, $3)")
            .bind(family_id)
            .bind(account_id)
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Stores a new refresh token (by hash) in `family_id`. Returns false, storing nothing, if
    /// the family has been revoked.
    pub async fn insert_refresh(
        &self,
        hash: &str,
        family_id: &str,
        account_id: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, account_id, expires_at, created_at) \
             SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS \
             (SELECT 1 FROM token_families WHERE id = $2 AND revoked_at IS NOT NULL)",
        )
        .bind(hash)
        .bind(family_id)
        .bind(account_id)
        .bind(expires_at)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Spends a refresh token atomically: of two racing uses exactly one wins; a use of a spent
    /// token, or of any token of a revoked family, revokes (keeps revoked) its family.
    pub async fn consume_refresh(&self, hash: &str, grace_secs: i64) -> Result<Consumed, StoreError> {
        let t = now();
        let won = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 AND NOT EXISTS \
             (SELECT 1 FROM token_families f WHERE f.id = refresh_tokens.family_id AND f.revoked_at IS NOT NULL)",
        )
        .bind(t)
        .bind(hash)
        .execute(self.pool())
        .await?
        .rows_affected()
            == 1;
        let row = sqlx::query(
            "SELECT r.family_id, r.account_id, r.expires_at, r.used_at, f.created_at AS family_started \
             FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id WHERE r.token_hash = $1",
        )
        .bind(hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(Consumed::Invalid);
        };
        let family_id: String = row.try_get("family_id")?;
        if won {
            return Ok(Consumed::Ok {
                family_id,
                account_id: row.try_get("account_id")?,
                family_started: row.try_get("family_started")?,
            });
        }
        if row.try_get::<i64, _>("expires_at")? <= t {
            return Ok(Consumed::Invalid);
        }
        let used_at: Option<i64> = row.try_get("used_at")?;
        if used_at.is_some_and(|u| u > t - grace_secs) && !self.family_revoked(&family_id).await? {
            return Ok(Consumed::Raced);
        }
        self.revoke_family(&family_id).await?;
        Ok(Consumed::Reused)
    }

    /// Revokes a family: none of its refresh tokens, and none of the access tokens issued with
    /// it, are accepted any more.
    pub async fn revoke_family(&self, family_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE token_families SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(family_id)
            .execute(self.pool())
            .await?;
        self.revocations.revoke_family(family_id);
        Ok(())
    }

    /// Revokes every family of `account_id` started at or before `until` (unix seconds), so
    /// none of their refresh or access tokens are accepted any more; returns how many.
    pub async fn revoke_account_families(&self, account_id: &str, until: i64) -> Result<usize, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM token_families WHERE account_id = $1 AND revoked_at IS NULL AND created_at <= $2",
        )
        .bind(account_id)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        sqlx::query(
            "UPDATE token_families SET revoked_at = $1 \
             WHERE account_id = $2 AND revoked_at IS NULL AND created_at <= $3",
        )
        .bind(now())
        .bind(account_id)
        .bind(until)
        .execute(self.pool())
        .await?;
        for row in &rows {
            self.revocations.revoke_family(&row.try_get::<String, _>("id")?);
        }
        Ok(rows.len())
    }

    /// True if the family has been revoked.
    pub async fn family_revoked(&self, family_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM token_families WHERE id = $1 AND revoked_at IS NOT NULL")
            .bind(family_id)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// The family and account a refresh token belongs to, if it exists.
    pub async fn refresh_family(&self, hash: &str) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query("SELECT family_id, account_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(hash)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get("family_id")?, r.try_get("account_id")?)),
            None => None,
        })
    }
}
