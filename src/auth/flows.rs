//! Login, refresh and logout: the steps that combine IMAP, the store and tokens, through a
//! [`Sessions`] handle; their failures are [`AuthError`]s.

use crate::{
    config::Secret,
    imap::{Credentials, ImapError},
    store::{StoreError, now, refresh::Consumed},
    sync::events::Hub,
    views::auth::TokenResponse,
};

use super::{Auth, DEFAULT_SERVER, PASSWORD_FIELD, credentials::Vault, jwt::Claims, tokens};

/// Why a login, refresh or logout failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The request is malformed (400).
    #[error("{0}")]
    BadRequest(&'static str),
    /// A request field that cannot be used (422).
    #[error("{field}: {reason}")]
    InvalidProperty {
        /// The field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The IMAP server (or the OAuth2 provider) refused the credentials (401).
    #[error("{0}")]
    AuthFailed(String),
    /// No valid session or token (401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A refresh token of a provider the gateway does not know (401: no login can succeed).
    #[error("no such OAuth2 provider is configured")]
    UnknownProvider,
    /// A spent refresh token came back; its family is revoked (401).
    #[error("refresh token was already used")]
    RefreshReused,
    /// The OAuth2 token endpoint failed (503).
    #[error("{0}")]
    TokenEndpoint(String),
    /// The IMAP server could not be used.
    #[error(transparent)]
    Imap(#[from] ImapError),
    /// The database failed (503).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What login, refresh and logout use: the accounts and pools (through the [`Vault`]), the
/// token signer and lifetimes, and the event hub (a login restarts an account's watcher).
#[derive(Clone, Copy, Debug)]
pub struct Sessions<'a> {
    /// Accounts, keyring, OAuth2 and pools.
    pub vault: &'a Vault,
    /// Token signing and lifetimes.
    pub auth: &'a Auth,
    /// The live-event feeds.
    pub events: &'a Hub,
    /// Seconds a just-spent refresh token may come back without revoking its family.
    pub reuse_grace_secs: u64,
}

/// A user name the gateway accepts: 1-256 characters without control characters.
pub fn check_username(username: &str) -> Result<(), AuthError> {
    if username.is_empty() || username.len() > 256 || username.chars().any(char::is_control) {
        return Err(AuthError::BadRequest("username must be 1-256 characters without control characters"));
    }
    Ok(())
}

fn check_input(username: &str, password: &str) -> Result<(), AuthError> {
    check_username(username)?;
    if password.is_empty() || password.len() > 1024 || password.contains('\0') {
        return Err(AuthError::BadRequest("password must be 1-1024 bytes without NUL"));
    }
    Ok(())
}

/// Proves the credentials with a real IMAP login, stores them encrypted, (re)installs the
/// account's pool and issues a token pair.
pub async fn login(sessions: Sessions<'_>, username: &str, password: &str) -> Result<TokenResponse, AuthError> {
    check_input(username, password)?;
    let creds = Credentials {
        username: username.to_string(),
        password: Secret::new(password),
        authorize_as: None,
        oauth: None,
    };
    match sessions.vault.pools.probe_login(&creds).await {
        Ok(conn) => {
            tokio::spawn(conn.logout());
        }
        Err(ImapError::AuthFailed(_)) => {
            return Err(AuthError::AuthFailed("username or password is wrong".into()));
        }
        Err(e) => return Err(e.into()),
    }
    let account = sessions.vault.store.ensure_account(DEFAULT_SERVER, username).await?;
    let keyring = &sessions.vault.keyring;
    // `None`: nothing stored yet, or a secret this instance cannot open (a key it does not
    // have yet in a rolling rotation): neither is evidence of a change, so nobody is evicted.
    let stored =
        (!account.secret.is_empty()).then(|| keyring.open(&account.id, PASSWORD_FIELD, &account.secret).ok()).flatten();
    let same = stored.as_deref() == Some(password);
    let changed = match &stored {
        Some(old) if !same => old_password_refused(sessions, username, old).await,
        _ => false,
    };
    if changed {
        // Before the new password is stored: if this fails, the next login tries again.
        revoke_other_sessions(sessions, &account.id).await?;
    }
    let version = if same && !keyring.needs_rotation(&account.secret) {
        account.credential_version
    } else {
        let sealed = keyring.seal(&account.id, PASSWORD_FIELD, password);
        sessions.vault.store.set_account_secret(&account.id, &sealed).await?
    };
    // The new pool replaces (and drains) every connection opened with the old password.
    sessions.vault.pools.install(&account.id, version, creds, 0).unpark();
    if changed {
        // Streams end; the watcher restarts (webhooks re-follow) with the password just stored.
        sessions.events.stop(&account.id);
    }
    sessions.events.logged_in(&account.id);
    tracing::info!(account.id = %account.id, "login");
    start_session(sessions, &account.id).await
}

/// True if the server now refuses the stored password `old`: the owner changed it (a server
/// that takes several passwords, such as app passwords, still accepts it: not a change). A
/// failure to ask counts as a change, the safe side.
async fn old_password_refused(sessions: Sessions<'_>, username: &str, old: &str) -> bool {
    let creds =
        Credentials { username: username.to_string(), password: Secret::new(old), authorize_as: None, oauth: None };
    match sessions.vault.pools.probe_login(&creds).await {
        Ok(conn) => {
            tokio::spawn(conn.logout());
            false
        }
        Err(_) => true,
    }
}

/// After the owner changed the password at the server: every earlier session of the account
/// ends, its refresh families and their access tokens are revoked (its webhooks stay).
async fn revoke_other_sessions(sessions: Sessions<'_>, account_id: &str) -> Result<(), AuthError> {
    let revoked = sessions.vault.store.revoke_account_families(account_id, now()).await?;
    tracing::info!(account.id = %account_id, families = revoked, "password changed: earlier sessions revoked");
    Ok(())
}

/// A new token family for `account_id` and its first token pair.
pub(super) async fn start_session(sessions: Sessions<'_>, account_id: &str) -> Result<TokenResponse, AuthError> {
    let family = uuid::Uuid::new_v4().to_string();
    sessions.vault.store.insert_family(&family, account_id).await?;
    issue(sessions, account_id, &family, now()).await
}

/// A token pair in `family_id`, whose refresh token expires with the family at the latest.
async fn issue(
    sessions: Sessions<'_>,
    account_id: &str,
    family_id: &str,
    family_started: i64,
) -> Result<TokenResponse, AuthError> {
    let t = now();
    let end_of_family = family_started.saturating_add(sessions.auth.family_lifetime_secs);
    if end_of_family <= t {
        return Err(AuthError::Unauthorized("this session has reached its lifetime; log in again"));
    }
    let refresh = tokens::new_refresh_token();
    let expires = (t + sessions.auth.refresh_ttl_secs).min(end_of_family);
    if !sessions.vault.store.insert_refresh(&tokens::hash(&refresh), family_id, account_id, expires).await? {
        // A logout or a detected reuse revoked the family while this refresh was running.
        return Err(AuthError::RefreshReused);
    }
    let (access, claims) = sessions.auth.jwt.issue(account_id, family_id, t);
    Ok(TokenResponse { access_token: access, token_type: "Bearer", expires_in: claims.exp - t, refresh_token: refresh })
}

/// Spends a refresh token and issues a new pair in the same family. Reuse of a spent token
/// revokes the whole family.
pub async fn refresh(sessions: Sessions<'_>, refresh_token: &str) -> Result<TokenResponse, AuthError> {
    if refresh_token.len() > 512 {
        return Err(AuthError::Unauthorized("invalid refresh token"));
    }
    let grace = sessions.reuse_grace_secs.min(300) as i64;
    match sessions.vault.store.consume_refresh(&tokens::hash(refresh_token), grace).await? {
        Consumed::Ok { family_id, account_id, family_started } => {
            issue(sessions, &account_id, &family_id, family_started).await
        }
        Consumed::Reused => {
            tracing::warn!("refresh token reused; family revoked");
            Err(AuthError::RefreshReused)
        }
        Consumed::Raced => Err(AuthError::Unauthorized("this refresh token was just used by another request")),
        Consumed::Invalid => Err(AuthError::Unauthorized("invalid or expired refresh token")),
    }
}

/// Revokes the access token and its refresh family (and the family of `refresh_token`, if it
/// belongs to the same account), then LOGOUTs the account's pooled connections.
pub async fn logout(sessions: Sessions<'_>, claims: &Claims, refresh_token: Option<&str>) -> Result<(), AuthError> {
    // A trusted-issuer token has no family here, and maybe no jti: the issuer revokes those.
    if !claims.jti.is_empty() {
        sessions.vault.store.revoke_jti(&claims.jti, claims.exp).await?;
    }
    if !claims.fid.is_empty() {
        sessions.vault.store.revoke_family(&claims.fid).await?;
    }
    if let Some(token) = refresh_token
        && let Some((family, account)) = sessions.vault.store.refresh_family(&tokens::hash(token)).await?
        && account == claims.sub
    {
        sessions.vault.store.revoke_family(&family).await?;
    }
    sessions.vault.pools.close_account(&claims.sub).await;
    sessions.vault.pools.summaries.forget_account(&claims.sub);
    sessions.vault.pools.messages.forget_account(&claims.sub);
    sessions.vault.pools.threads.forget_account(&claims.sub);
    sessions.events.stop(&claims.sub);
    tracing::info!(account.id = %claims.sub, "logout");
    Ok(())
}
