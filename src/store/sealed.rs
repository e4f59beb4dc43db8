//! Every sealed column, for `rotate-keys`: pages of sealed values by id, and compare-and-swap
//! updates that replace a value only if it is still the one that was read (a login or a token
//! renewal meanwhile wins, and its new value is sealed with the current key anyway).

use sqlx::Row;

use super::{Store, StoreError};

/// The sealed values of one account row.
#[derive(Clone)]
pub struct SealedAccount {
    /// Account id (the AAD of its values).
    pub id: String,
    /// `password`, or the SASL mechanism of an OAuth2 account.
    pub auth_kind: String,
    /// The sealed password or access token; empty if none.
    pub secret: String,
    /// The sealed OAuth2 refresh token; empty if none.
    pub refresh_secret: String,
}

impl std::fmt::Debug for SealedAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedAccount")
            .field("id", &self.id)
            .field("auth_kind", &self.auth_kind)
            .finish_non_exhaustive()
    }
}

/// Which sealed column of `accounts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountColumn {
    /// `secret`: the password or the OAuth2 access token.
    Secret,
    /// `refresh_secret`: the OAuth2 refresh token.
    Refresh,
}

impl Store {
    /// Up to `limit` accounts with any sealed value, in id order after `after`.
    pub async fn sealed_accounts(&self, after: &str, limit: i64) -> Result<Vec<SealedAccount>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, auth_kind, secret, refresh_secret FROM accounts \
             WHERE id > $1 AND (secret <> '' OR refresh_secret <> '') ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SealedAccount {
                    id: r.try_get("id")?,
                    auth_kind: r.try_get("auth_kind")?,
                    secret: r.try_get("secret")?,
                    refresh_secret: r.try_get("refresh_secret")?,
                })
            })
            .collect()
    }

    /// Replaces `column` of account `id` with `new` if it still holds `old`; false otherwise.
    /// The credential version stays: the plaintext is the same.
    pub async fn reseal_account(
        &self,
        id: &str,
        column: AccountColumn,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let sql = match column {
            AccountColumn::Secret => "UPDATE accounts SET secret = $1 WHERE id = $2 AND secret = $3",
            AccountColumn::Refresh => "UPDATE accounts SET refresh_secret = $1 WHERE id = $2 AND refresh_secret = $3",
        };
        let n = sqlx::query(sql).bind(new).bind(id).bind(old).execute(self.pool()).await?.rows_affected();
        Ok(n == 1)
    }

    /// Up to `limit` webhooks as (id, sealed secret), in id order after `after`.
    pub async fn sealed_webhook_secrets(&self, after: &str, limit: i64) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT id, secret FROM webhooks WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("secret")?))).collect()
    }

    /// Replaces webhook `id`'s sealed secret with `new` if it still holds `old`.
    pub async fn reseal_webhook_secret(&self, id: &str, old: &str, new: &str) -> Result<bool, StoreError> {
        let n = sqlx::query("UPDATE webhooks SET secret = $1 WHERE id = $2 AND secret = $3")
            .bind(new)
            .bind(id)
            .bind(old)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}
