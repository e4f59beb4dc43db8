//! The `account_leases` and `account_lease_locks` tables: the requests each account has in
//! flight, counted across every instance that shares the database. Times are milliseconds.

use sqlx::Row;

use super::{Store, StoreError};

/// A lock row untouched this long (and so with no live lease) is swept.
const LOCK_ROW_IDLE_MS: i64 = 3_600_000;

impl Store {
    /// Takes lease `lease` of `account` until `expires_ms` if fewer than `limit` unexpired
    /// leases of the account exist at `now_ms`; false (nothing stored) otherwise. The account's
    /// lock row is written first in the same transaction: parallel acquires of one account, on
    /// any instance, count one after the other, so they cannot all pass.
    pub async fn acquire_account_lease(
        &self,
        account: &str,
        lease: &str,
        now_ms: i64,
        expires_ms: i64,
        limit: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        self.relax_commit(&mut tx).await?;
        // Locks the account's row until commit; the count below is a later statement, so it
        // sees every lease committed by whoever held the lock before.
        sqlx::query(
            "INSERT INTO account_lease_locks (account_id, touched_ms) VALUES ($1, $2) \
             ON CONFLICT (account_id) DO UPDATE SET touched_ms = excluded.touched_ms",
        )
        .bind(account)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query(
            "INSERT INTO account_leases (account_id, lease_id, expires_ms) SELECT $1, $2, $3 \
             WHERE (SELECT count(*) FROM account_leases WHERE account_id = $1 AND expires_ms > $4) < $5",
        )
        .bind(account)
        .bind(lease)
        .bind(expires_ms)
        .bind(now_ms)
        .bind(limit.max(1))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Ends lease `lease` of `account` (the request finished).
    pub async fn release_account_lease(&self, account: &str, lease: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        self.relax_commit(&mut tx).await?;
        sqlx::query("DELETE FROM account_leases WHERE account_id = $1 AND lease_id = $2")
            .bind(account)
            .bind(lease)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// On PostgreSQL, the transaction's commit does not wait for the WAL flush: a lease is
    /// worth no fsync (a crash of the database loses at most the last moment's leases, which
    /// only frees or holds slots for a while). Visibility and locks are unchanged.
    async fn relax_commit(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), StoreError> {
        if self.shared() {
            sqlx::query("SET LOCAL synchronous_commit TO OFF").execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// The unexpired leases of `account` at `now_ms`.
    pub async fn account_leases(&self, account: &str, now_ms: i64) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT count(*) AS n FROM account_leases WHERE account_id = $1 AND expires_ms > $2")
            .bind(account)
            .bind(now_ms)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Deletes leases expired at `now_ms` (their instance died) and lock rows untouched for an
    /// hour; returns how many leases.
    pub async fn sweep_account_leases(&self, now_ms: i64) -> Result<u64, StoreError> {
        let n = sqlx::query("DELETE FROM account_leases WHERE expires_ms <= $1")
            .bind(now_ms)
            .execute(self.pool())
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM account_lease_locks WHERE touched_ms <= $1")
            .bind(now_ms - LOCK_ROW_IDLE_MS)
            .execute(self.pool())
            .await?;
        Ok(n)
    }
}
