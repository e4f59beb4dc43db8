//! The `accounts` table: one row per (upstream server, IMAP user), holding the encrypted
//! password (or, for OAuth2 accounts, the access and refresh tokens) and its credential version.

use sqlx::Row;

use super::{Store, StoreError, now};

/// A stored account.
#[derive(Clone)]
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
    /// `password`, or the SASL mechanism of an OAuth2 account (`XOAUTH2`, `OAUTHBEARER`).
    pub auth_kind: String,
    /// When the stored access token expires (unix seconds), for OAuth2 accounts.
    pub secret_expires_at: Option<i64>,
    /// Encrypted refresh token, empty when the gateway cannot refresh.
    pub refresh_secret: String,
    /// The configured provider the refresh token belongs to.
    pub oauth_provider: Option<String>,
}

impl std::fmt::Debug for Account {
    /// The sealed credentials are never shown, only whether there are any.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sealed = |s: &str| if s.is_empty() { "" } else { "[redacted]" };
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("server", &self.server)
            .field("username", &self.username)
            .field("credential_version", &self.credential_version)
            .field("secret", &sealed(&self.secret))
            .field("auth_kind", &self.auth_kind)
            .field("secret_expires_at", &self.secret_expires_at)
            .field("refresh_secret", &sealed(&self.refresh_secret))
            .field("oauth_provider", &self.oauth_provider)
            .finish()
    }
}

/// A new OAuth2 credential to store.
pub struct OAuthSecret<'a> {
    /// `XOAUTH2` or `OAUTHBEARER`.
    pub kind: &'a str,
    /// Sealed access token.
    pub access: &'a str,
    /// Its expiry, unix seconds.
    pub expires_at: i64,
    /// Sealed refresh token; `None` keeps the stored one, `Some("")` clears it.
    pub refresh: Option<&'a str>,
    /// Provider of the refresh token; kept when `refresh` is `None`.
    pub provider: Option<&'a str>,
}

impl std::fmt::Debug for OAuthSecret<'_> {
    /// The sealed tokens are never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSecret")
            .field("kind", &self.kind)
            .field("expires_at", &self.expires_at)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

macro_rules! columns {
    () => {
        "id, server, username, credential_version, secret, auth_kind, secret_expires_at, refresh_secret, oauth_provider"
    };
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get("id")?,
        server: row.try_get("server")?,
        username: row.try_get("username")?,
        credential_version: row.try_get("credential_version")?,
        secret: row.try_get("secret")?,
        auth_kind: row.try_get("auth_kind")?,
        secret_expires_at: row.try_get("secret_expires_at")?,
        refresh_secret: row.try_get("refresh_secret")?,
        oauth_provider: row.try_get("oauth_provider")?,
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
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM accounts WHERE server = $1 AND username = $2"))
            .bind(server)
            .bind(username)
            .fetch_one(self.pool())
            .await?;
        Ok(from_row(&row)?)
    }

    /// Looks an account up by id.
    pub async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM accounts WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// Stores a new encrypted password (the account is a password account from now on) and
    /// bumps the version; returns the new version.
    pub async fn set_account_secret(&self, id: &str, secret: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "UPDATE accounts SET secret = $1, auth_kind = 'password', secret_expires_at = NULL, refresh_secret = '', \
             oauth_provider = NULL, credential_version = credential_version + 1, updated_at = $2 \
             WHERE id = $3 RETURNING credential_version",
        )
        .bind(secret)
        .bind(now())
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("credential_version")?)
    }

    /// Stores an OAuth2 credential and bumps the version; returns the new version.
    pub async fn set_account_oauth(&self, id: &str, o: &OAuthSecret<'_>) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "UPDATE accounts SET secret = $1, auth_kind = $2, secret_expires_at = $3, \
             refresh_secret = COALESCE($4, refresh_secret), \
             oauth_provider = CASE WHEN $4 IS NULL THEN oauth_provider ELSE $5 END, \
             credential_version = credential_version + 1, updated_at = $6 WHERE id = $7 RETURNING credential_version",
        )
        .bind(o.access)
        .bind(o.kind)
        .bind(o.expires_at)
        .bind(o.refresh)
        .bind(o.provider)
        .bind(now())
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("credential_version")?)
    }

    /// [`Self::set_account_oauth`] only if the row is still at `version` (no other instance
    /// renewed it and the user did not log in again meanwhile); `None` if it was not.
    pub async fn renew_account_oauth(
        &self,
        id: &str,
        o: &OAuthSecret<'_>,
        version: i64,
    ) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "UPDATE accounts SET secret = $1, secret_expires_at = $2, refresh_secret = COALESCE($3, refresh_secret), \
             credential_version = credential_version + 1, updated_at = $4 \
             WHERE id = $5 AND credential_version = $6 RETURNING credential_version",
        )
        .bind(o.access)
        .bind(o.expires_at)
        .bind(o.refresh)
        .bind(now())
        .bind(id)
        .bind(version)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get("credential_version")).transpose()?)
    }

    /// Forgets an OAuth2 account's tokens if the row is still at `version`; false if another
    /// instance or a new login changed it meanwhile (its tokens are then kept).
    pub async fn clear_account_tokens_if(&self, id: &str, version: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE accounts SET secret = '', refresh_secret = '', secret_expires_at = NULL, \
             credential_version = credential_version + 1, updated_at = $1 WHERE id = $2 AND credential_version = $3",
        )
        .bind(now())
        .bind(id)
        .bind(version)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Forgets the access tokens of OAuth2 accounts that expired before `now` and cannot be
    /// renewed (no refresh token); returns how many.
    pub async fn sweep_expired_access_tokens(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE accounts SET secret = '', secret_expires_at = NULL, credential_version = credential_version + 1, \
             updated_at = $1 WHERE auth_kind <> 'password' AND refresh_secret = '' AND secret <> '' \
             AND secret_expires_at < $1",
        )
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::Account;

    #[test]
    fn debug_never_shows_the_sealed_credentials() {
        let account = Account {
            id: "a1".into(),
            server: "default".into(),
            username: "alice".into(),
            credential_version: 2,
            secret: "v1:k1:nonce:SEALED-PASSWORD".into(),
            auth_kind: "password".into(),
            secret_expires_at: None,
            refresh_secret: String::new(),
            oauth_provider: None,
        };
        let shown = format!("{account:?}");
        assert!(
            !shown.contains("SEALED-PASSWORD") && shown.contains("[redacted]") && shown.contains("alice"),
            "{shown}"
        );
    }
}
