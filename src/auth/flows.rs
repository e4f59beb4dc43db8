//! Login, refresh and logout: the steps that combine IMAP, the store and tokens.

use crate::{
    config::Secret,
    error::ApiError,
    imap::{Credentials, ImapError},
    state::App,
    store::{now, refresh::Consumed},
    views::auth::TokenResponse,
};

use super::{DEFAULT_SERVER, PASSWORD_FIELD, jwt::Claims, tokens};

/// A user name the gateway accepts: 1-256 characters without control characters.
pub fn check_username(username: &str) -> Result<(), ApiError> {
    if username.is_empty() || username.len() > 256 || username.chars().any(char::is_control) {
        return Err(ApiError::bad_request("username must be 1-256 characters without control characters"));
    }
    Ok(())
}

fn check_input(username: &str, password: &str) -> Result<(), ApiError> {
    check_username(username)?;
    if password.is_empty() || password.len() > 1024 || password.contains('\0') {
        return Err(ApiError::bad_request("password must be 1-1024 bytes without NUL"));
    }
    Ok(())
}

/// Proves the credentials with a real IMAP login, stores them encrypted, (re)installs the
/// account's pool and issues a token pair.
pub async fn login(app: &App, username: &str, password: &str) -> Result<TokenResponse, ApiError> {
    check_input(username, password)?;
    let creds = Credentials {
        username: username.to_string(),
        password: Secret::new(password),
        authorize_as: None,
        oauth: None,
    };
    match app.pools.probe_login(&creds).await {
        Ok(conn) => {
            tokio::spawn(conn.logout());
        }
        Err(ImapError::AuthFailed(_)) => {
            return Err(ApiError::auth_failed("username or password is wrong"));
        }
        Err(e) => return Err(e.into()),
    }
    let account = app.store.ensure_account(DEFAULT_SERVER, username).await?;
    let keyring = &app.auth.keyring;
    // `None`: nothing stored yet, or a secret this instance cannot open (a key it does not
    // have yet in a rolling rotation): neither is evidence of a change, so nobody is evicted.
    let stored =
        (!account.secret.is_empty()).then(|| keyring.open(&account.id, PASSWORD_FIELD, &account.secret).ok()).flatten();
    let same = stored.as_deref() == Some(password);
    let changed = match &stored {
        Some(old) if !same => old_password_refused(app, username, old).await,
        _ => false,
    };
    if changed {
        // Before the new password is stored: if this fails, the next login tries again.
        revoke_other_sessions(app, &account.id).await?;
    }
    let version = if same && !keyring.needs_rotation(&account.secret) {
        account.credential_version
    } else {
        let sealed = keyring.seal(&account.id, PASSWORD_FIELD, password);
        app.store.set_account_secret(&account.id, &sealed).await?
    };
    // The new pool replaces (and drains) every connection opened with the old password.
    app.pools.install(&account.id, version, creds, 0).unpark();
    if changed {
        // Streams end; the watcher restarts (webhooks re-follow) with the password just stored.
        app.events.stop(&account.id);
    }
    app.events.logged_in(&account.id);
    tracing::info!(account.id = %account.id, "login");
    start_session(app, &account.id).await
}

/// True if the server now refuses the stored password `old`: the owner changed it (a server
/// that takes several passwords, such as app passwords, still accepts it: not a change). A
/// failure to ask counts as a change, the safe side.
async fn old_password_refused(app: &App, username: &str, old: &str) -> bool {
    let creds =
        Credentials { username: username.to_string(), password: Secret::new(old), authorize_as: None, oauth: None };
    match app.pools.probe_login(&creds).await {
        Ok(conn) => {
            tokio::spawn(conn.logout());
            false
        }
        Err(_) => true,
    }
}

/// After the owner changed the password at the server: every earlier session of the account
/// ends, its refresh families and their access tokens are revoked (its webhooks stay).
async fn revoke_other_sessions(app: &App, account_id: &str) -> Result<(), ApiError> {
    let revoked = app.store.revoke_account_families(account_id, now()).await?;
    tracing::info!(account.id = %account_id, families = revoked, "password changed: earlier sessions revoked");
    Ok(())
}

/// A new token family for `account_id` and its first token pair.
pub(super) async fn start_session(app: &App, account_id: &str) -> Result<TokenResponse, ApiError> {
    let family = uuid::Uuid::new_v4().to_string();
    app.store.insert_family(&family, account_id).await?;
    issue(app, account_id, &family, now()).await
}

/// A token pair in `family_id`, whose refresh token expires with the family at the latest.
async fn issue(app: &App, account_id: &str, family_id: &str, family_started: i64) -> Result<TokenResponse, ApiError> {
    let t = now();
    let end_of_family = family_started.saturating_add(app.auth.family_lifetime_secs);
    if end_of_family <= t {
        return Err(ApiError::unauthorized("this session has reached its lifetime; log in again"));
    }
    let refresh = tokens::new_refresh_token();
    let expires = (t + app.auth.refresh_ttl_secs).min(end_of_family);
    if !app.store.insert_refresh(&tokens::hash(&refresh), family_id, account_id, expires).await? {
        // A logout or a detected reuse revoked the family while this refresh was running.
        return Err(ApiError::refresh_reused());
    }
    let (access, claims) = app.auth.jwt.issue(account_id, family_id, t);
    Ok(TokenResponse { access_token: access, token_type: "Bearer", expires_in: claims.exp - t, refresh_token: refresh })
}

/// Spends a refresh token and issues a new pair in the same family. Reuse of a spent token
/// revokes the whole family.
pub async fn refresh(app: &App, refresh_token: &str) -> Result<TokenResponse, ApiError> {
    if refresh_token.len() > 512 {
        return Err(ApiError::unauthorized("invalid refresh token"));
    }
    let grace = app.settings.auth.refresh_reuse_grace_secs.min(300) as i64;
    match app.store.consume_refresh(&tokens::hash(refresh_token), grace).await? {
        Consumed::Ok { family_id, account_id, family_started } => {
            issue(app, &account_id, &family_id, family_started).await
        }
        Consumed::Reused => {
            tracing::warn!("refresh token reused; family revoked");
            Err(ApiError::refresh_reused())
        }
        Consumed::Raced => Err(ApiError::unauthorized("this refresh token was just used by another request")),
        Consumed::Invalid => Err(ApiError::unauthorized("invalid or expired refresh token")),
    }
}

/// Revokes the access token and its refresh family (and the family of `refresh_token`, if it
/// belongs to the same account), then LOGOUTs the account's pooled connections.
pub async fn logout(app: &App, claims: &Claims, refresh_token: Option<&str>) -> Result<(), ApiError> {
    // A trusted-issuer token has no family here, and maybe no jti: the issuer revokes those.
    if !claims.jti.is_empty() {
        app.store.revoke_jti(&claims.jti, claims.exp).await?;
    }
    if !claims.fid.is_empty() {
        app.store.revoke_family(&claims.fid).await?;
    }
    if let Some(token) = refresh_token
        && let Some((family, account)) = app.store.refresh_family(&tokens::hash(token)).await?
        && account == claims.sub
    {
        app.store.revoke_family(&family).await?;
    }
    app.pools.close_account(&claims.sub).await;
    app.pools.summaries.forget_account(&claims.sub);
    app.pools.messages.forget_account(&claims.sub);
    app.events.stop(&claims.sub);
    tracing::info!(account.id = %claims.sub, "logout");
    Ok(())
}
