//! The `webhooks` and `webhook_cursors` tables: registrations (secrets sealed by the keyring)
//! and the last mailbox state delivered per account, so that a restart resumes.

use sqlx::{Row, any::AnyRow};

use super::{Store, StoreError, now};

/// A registered webhook.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Id (`wh_…`).
    pub id: String,
    /// Owner.
    pub account_id: String,
    /// Where deliveries go.
    pub url: String,
    /// Event types delivered.
    pub events: Vec<String>,
    /// Mailboxes watched.
    pub mailboxes: Vec<String>,
    /// The signing secret, sealed (AES-256-GCM, AAD bound to the webhook id).
    pub sealed_secret: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("mailboxes", &self.mailboxes)
            .field("sealed_secret", &"[redacted]")
            .field("created_at", &self.created_at)
            .finish()
    }
}

fn list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn webhook(row: &AnyRow) -> Result<Webhook, StoreError> {
    Ok(Webhook {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        url: row.try_get("url")?,
        events: list(&row.try_get::<String, _>("events")?),
        mailboxes: list(&row.try_get::<String, _>("mailboxes")?),
        sealed_secret: row.try_get("secret")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Stores a new webhook unless its account already has `cap` of them; false then. The
    /// account's row is locked first (a no-op UPDATE), so that racing creates are counted one
    /// after another on PostgreSQL as on SQLite.
    pub async fn insert_webhook(&self, w: &Webhook, cap: usize) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE accounts SET updated_at = updated_at WHERE id = $1")
            .bind(&w.account_id)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query(
            "INSERT INTO webhooks (id, account_id, url, events, mailboxes, secret, created_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7 WHERE (SELECT count(*) FROM webhooks WHERE account_id = $2) < $8",
        )
        .bind(&w.id)
        .bind(&w.account_id)
        .bind(&w.url)
        .bind(serde_json::to_string(&w.events).unwrap_or_default())
        .bind(serde_json::to_string(&w.mailboxes).unwrap_or_default())
        .bind(&w.sealed_secret)
        .bind(w.created_at)
        .bind(i64::try_from(cap).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// The account's webhooks, oldest first.
    pub async fn webhooks(&self, account: &str) -> Result<Vec<Webhook>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, account_id, url, events, mailboxes, secret, created_at FROM webhooks \
             WHERE account_id = $1 ORDER BY created_at, id",
        )
        .bind(account)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(webhook).collect()
    }

    /// One webhook by id (any account; callers check the owner).
    pub async fn webhook(&self, id: &str) -> Result<Option<Webhook>, StoreError> {
        let row = sqlx::query(
            "SELECT id, account_id, url, events, mailboxes, secret, created_at FROM webhooks WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(webhook).transpose()
    }

    /// Deletes the account's webhook with its deliveries; false if there was none.
    pub async fn delete_webhook(&self, account: &str, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "DELETE FROM webhook_attempts WHERE delivery_id IN \
             (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
              WHERE w.id = $1 AND w.account_id = $2)",
        )
        .bind(id)
        .bind(account)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM webhook_deliveries WHERE webhook_id IN (SELECT id FROM webhooks WHERE id = $1 AND account_id = $2)",
        )
        .bind(id)
        .bind(account)
        .execute(&mut *tx)
        .await?;
        let gone = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        Ok(gone)
    }

    /// Accounts that have at least one webhook.
    pub async fn webhook_accounts(&self) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT DISTINCT account_id FROM webhooks ORDER BY account_id").fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok(r.try_get("account_id")?)).collect()
    }

    /// Takes or renews the lease on dispatching `account`'s webhooks for `owner` until
    /// `expires_at` (ms); false while another owner holds an unexpired lease.
    pub async fn lease_webhooks(
        &self,
        account: &str,
        owner: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "INSERT INTO webhook_leases (account_id, owner, expires_at) VALUES ($1, $2, $3)              ON CONFLICT (account_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at              WHERE webhook_leases.owner = excluded.owner OR webhook_leases.expires_at < $4",
        )
        .bind(account)
        .bind(owner)
        .bind(expires_at)
        .bind(now)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Gives the lease up (the dispatcher ends).
    pub async fn release_webhooks(&self, account: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM webhook_leases WHERE account_id = $1 AND owner = $2")
            .bind(account)
            .bind(owner)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Gives up every lease of `owner` (shutdown).
    pub async fn release_all_webhook_leases(&self, owner: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM webhook_leases WHERE owner = $1").bind(owner).execute(self.pool()).await?;
        Ok(())
    }

    /// The last state delivered for (account, mailbox).
    pub async fn webhook_cursor(&self, account: &str, mailbox: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT state FROM webhook_cursors WHERE account_id = $1 AND mailbox = $2")
            .bind(account)
            .bind(mailbox)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("state")).transpose()?)
    }

    /// Records the last state delivered for (account, mailbox).
    pub async fn set_webhook_cursor(&self, account: &str, mailbox: &str, state: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO webhook_cursors (account_id, mailbox, state, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, mailbox) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(account)
        .bind(mailbox)
        .bind(state)
        .bind(now())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_never_shows_the_sealed_secret() {
        let w = super::Webhook {
            id: "wh_1".into(),
            account_id: "a".into(),
            url: "https://example.com/h".into(),
            events: vec![],
            mailboxes: vec![],
            sealed_secret: "v1:k1:nonce:ciphertext".into(),
            created_at: 1,
        };
        let shown = format!("{w:?}");
        assert!(!shown.contains("ciphertext") && shown.contains("[redacted]"), "{shown}");
    }
}
