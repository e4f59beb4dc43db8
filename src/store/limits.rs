//! The `login_failures` and `login_limit_keys` tables: failed logins counted in a sliding
//! window across every instance that shares the database. Times are milliseconds.

use sqlx::Row;

use super::{Store, StoreError};

impl Store {
    /// Checks `keys` (already hashed) against `limit` failures in the `window_ms` before
    /// `now_ms`. Over the limit: `Some(ms until the oldest counted failure leaves the window)`,
    /// nothing recorded. Otherwise the attempt is recorded under `mark` for every key, in the
    /// same transaction, after a row lock per key: parallel checks of one key, on any instance,
    /// run one after the other, so they cannot all pass.
    pub async fn check_login_attempt(
        &self,
        keys: &[String],
        mark: &str,
        now_ms: i64,
        window_ms: i64,
        limit: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut sorted: Vec<&String> = keys.iter().collect();
        sorted.sort();
        sorted.dedup();
        let cut = now_ms - window_ms;
        let mut tx = self.pool().begin().await?;
        let mut wait: Option<i64> = None;
        for key in &sorted {
            // Locks the key's row until commit (keys in order: no deadlock).
            sqlx::query(
                "INSERT INTO login_limit_keys (limit_key, touched_ms) VALUES ($1, $2) \
                 ON CONFLICT (limit_key) DO UPDATE SET touched_ms = excluded.touched_ms",
            )
            .bind(*key)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM login_failures WHERE limit_key = $1 AND at_ms <= $2")
                .bind(*key)
                .bind(cut)
                .execute(&mut *tx)
                .await?;
            // The limit-th most recent failure: while it is in the window, the key is over.
            let row = sqlx::query(
                "SELECT at_ms FROM login_failures WHERE limit_key = $1 ORDER BY at_ms DESC LIMIT 1 OFFSET $2",
            )
            .bind(*key)
            .bind(limit.max(1) - 1)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(r) = row {
                let at: i64 = r.try_get("at_ms")?;
                let left = window_ms - (now_ms - at);
                wait = Some(wait.map_or(left, |w| w.max(left)));
            }
        }
        if wait.is_none() {
            for key in &sorted {
                sqlx::query("INSERT INTO login_failures (limit_key, mark, at_ms) VALUES ($1, $2, $3)")
                    .bind(*key)
                    .bind(mark)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(wait)
    }

    /// The attempt `mark` no longer counts for any key; with `forget_key`, neither does any
    /// earlier failure of that key (a successful login forgets its username's failures).
    pub async fn forget_login_attempt(&self, mark: &str, forget_key: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE mark = $1 OR limit_key = $2")
            .bind(mark)
            .bind(forget_key.unwrap_or(""))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets failures and key rows older than `before_ms`; returns how many failures.
    pub async fn sweep_login_failures(&self, before_ms: i64) -> Result<u64, StoreError> {
        let n = sqlx::query("DELETE FROM login_failures WHERE at_ms <= $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM login_limit_keys WHERE touched_ms <= $1").bind(before_ms).execute(self.pool()).await?;
        Ok(n)
    }
}
