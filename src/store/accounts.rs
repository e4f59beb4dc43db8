//! The `accounts` table: one row per (upstream server, IMAP user), holding the encrypted
//! password and its credential version.

use sqlx::Row;

use super::{Store, StoreError, now};

/// A stored account.
#[derive(Clone, Debug)]
pub struct Account {
    /// Opaque id; the `sub` of access tokens.
    pub id: String,
    /// Name of the upstream server profile.
    pub server: String,
    /// IMAP user name.
    pub username: String,
    /// Bumped whenever the stored credential changes.
    pub credential_version: i64,
    /// Encrypted credential (`v1:<kid>:<nonce>:<ct>`), empty for a row being created.
    pub secret: String,
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get("id")?,
        server: row.try_get("server")?,
        username: row.try_get("username")?,
        credential_version: row.try_get("credential_version")?,
        secret: row.try_get("secret")?,
    })
}

impl Store {
    /// Returns the account for (server, username), creating an empty row if there is none.
    /// Two racing logins get the same row.
    pub async fn ensure_account(&self, server: &str, username: &str) -> Result<Account, StoreError> {
        let t = now();
        sqlx::query(
            "INSERT INTO accounts (id, server, username, credential_version, secret, created_at, updated_at) \
             VALUES ($1, $2, $3, 0, '', $4, $4) ON CONFLICT (server, username) DO NOTHING",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(server)
        .bind(username)
        .bind(t)
        .execute(self.pool())
        .await?;
        let row = sqlx::query(
            "SELECT id, server, username, credential_version, secret FROM accounts WHERE server = $1 AND username = $2",
        )
        .bind(server)
        .bind(username)
        .fetch_one(self.pool())
        .await?;
        Ok(from_row(&row)?)
    }

    /// Looks an account up by id.
    pub async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query("SELECT id, server, username, credential_version, secret FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Stores a new encrypted credential and bumps the version; returns the new version.
    pub async fn set_account_secret(&self, id: &str, secret: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "UPDATE accounts SET secret = $1, credential_version = credential_version + 1, updated_at = $2 \
             WHERE id = $3 RETURNING credential_version",
        )
        .bind(secret)
        .bind(now())
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("credential_version")?)
    }
}
