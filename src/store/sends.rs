//! The `sends` table: one row per message an account submitted in the last hour, for the send
//! rate limit. A send reserves its row first (so parallel sends cannot all pass the limit) and
//! releases it when nothing was sent.

use sqlx::Row;

use super::{Store, StoreError, now};

/// The window of the rate limit, in seconds.
pub const WINDOW_SECS: i64 = 3600;

/// The outcome of a reservation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reservation {
    /// Reserved: release it with this id if nothing is sent.
    Granted(String),
    /// Over the limit: the seconds until the oldest send of the window ages out.
    Refused {
        /// Seconds to wait.
        retry_after: u64,
    },
}

impl Store {
    /// Reserves one send of `account` within `per_hour`.
    pub async fn reserve_send(&self, account: &str, send_id: &str, per_hour: u32) -> Result<Reservation, StoreError> {
        let now = now();
        let since = now - WINDOW_SECS;
        sqlx::query("DELETE FROM sends WHERE account_id = $1 AND sent_at <= $2")
            .bind(account)
            .bind(since)
            .execute(self.pool())
            .await?;
        sqlx::query("INSERT INTO sends (account_id, send_id, sent_at) VALUES ($1, $2, $3)")
            .bind(account)
            .bind(send_id)
            .bind(now)
            .execute(self.pool())
            .await?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(sent_at) AS oldest FROM sends WHERE account_id = $1 AND sent_at > $2",
        )
        .bind(account)
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        let count: i64 = row.try_get("n")?;
        if count <= i64::from(per_hour) {
            return Ok(Reservation::Granted(send_id.to_string()));
        }
        self.release_send(account, send_id).await?;
        let oldest: Option<i64> = row.try_get("oldest")?;
        let retry_after = (oldest.unwrap_or(now) + WINDOW_SECS - now).clamp(1, WINDOW_SECS) as u64;
        Ok(Reservation::Refused { retry_after })
    }

    /// Gives back a reservation whose message was not sent.
    pub async fn release_send(&self, account: &str, send_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sends WHERE account_id = $1 AND send_id = $2")
            .bind(account)
            .bind(send_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
