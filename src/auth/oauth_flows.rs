//! OAuth2 accounts end to end: a login with a caller's access token (and optionally a refresh
//! token of a configured provider), and the credentials of such an account for a pool, renewed
//! ahead of expiry or refused with `reauth-required` (pool drained, no further IMAP login).

use crate::{
    config::Secret,
    error::ApiError,
    imap::{Credentials, encode::sasl::OAuthMechanism},
    state::App,
    store::accounts::{Account, OAuthSecret},
    views::auth::TokenResponse,
};

use super::{
    DEFAULT_SERVER,
    oauth::{ACCESS_FIELD, REFRESH_FIELD, RefreshError},
};

/// A login with OAuth2 tokens instead of a password.
pub struct OAuthLogin<'a> {
    /// IMAP user name.
    pub username: &'a str,
    /// The caller's access token, if it has one.
    pub access_token: Option<&'a str>,
    /// XOAUTH2 unless the caller asked for OAUTHBEARER.
    pub mechanism: OAuthMechanism,
    /// Seconds until the access token expires, as the provider said.
    pub expires_in: Option<u64>,
    /// A refresh token of `provider`, so the gateway can renew the access token.
    pub refresh_token: Option<&'a str>,
    /// A configured provider.
    pub provider: Option<&'a str>,
}

impl std::fmt::Debug for OAuthLogin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |t: Option<&str>| t.map(|_| "[redacted]");
        f.debug_struct("OAuthLogin")
            .field("username", &self.username)
            .field("access_token", &redacted(self.access_token))
            .field("mechanism", &self.mechanism)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &redacted(self.refresh_token))
            .field("provider", &self.provider)
            .finish()
    }
}

/// The SASL mechanism an account's `auth_kind` names, or None for a password account.
pub fn mechanism_of(kind: &str) -> Option<OAuthMechanism> {
    match kind {
        "XOAUTH2" => Some(OAuthMechanism::XOAuth2),
        "OAUTHBEARER" => Some(OAuthMechanism::OAuthBearer),
        _ => None,
    }
}

fn check(req: &OAuthLogin<'_>, app: &App) -> Result<(), ApiError> {
    if let Some(t) = req.access_token {
        crate::imap::encode::sasl::check_token(t).map_err(|_| {
            ApiError::invalid_property("accessToken", "must be 1-16384 characters of an RFC 6750 token")
        })?;
    }
    match (req.refresh_token, req.provider) {
        (Some(r), Some(p)) => {
            if r.is_empty() || r.len() > 16 * 1024 || r.chars().any(char::is_control) {
                return Err(ApiError::invalid_property(
                    "refreshToken",
                    "must be 1-16384 characters without control characters",
                ));
            }
            if !app.oauth.has_provider(p) {
                return Err(ApiError::invalid_property("provider", "no such OAuth2 provider is configured"));
            }
        }
        (Some(_), None) => return Err(ApiError::invalid_property("provider", "a refresh token needs its provider")),
        (None, Some(_)) => return Err(ApiError::invalid_property("refreshToken", "a provider needs a refresh token")),
        (None, None) if req.access_token.is_none() => {
            return Err(ApiError::invalid_property(
                "password",
                "give a password, an accessToken, or a refreshToken with its provider",
            ));
        }
        (None, None) => {}
    }
    Ok(())
}

fn refresh_error(e: RefreshError) -> ApiError {
    match e {
        RefreshError::Refused(_) => ApiError::auth_failed(e.to_string()),
        RefreshError::Unavailable(_) => ApiError::token_endpoint_unavailable(e.to_string()),
        RefreshError::UnknownProvider(_) => {
            ApiError::invalid_property("provider", "no such OAuth2 provider is configured")
        }
    }
}

/// Proves the token with a real AUTHENTICATE, stores it (and the refresh token) encrypted
/// until it expires, installs the account's pool and issues a token pair.
pub async fn login(app: &App, req: OAuthLogin<'_>) -> Result<TokenResponse, ApiError> {
    super::flows::check_username(req.username)?;
    check(&req, app)?;
    let (access, expires_at, rotated) = match req.access_token {
        Some(t) => (Secret::new(t), app.oauth.expiry_of(t, req.expires_in), None),
        None => {
            let (provider, refresh) = (req.provider.unwrap_or_default(), req.refresh_token.unwrap_or_default());
            let g = app.oauth.refresh(provider, refresh).await.map_err(refresh_error)?;
            (g.access_token, g.expires_at, g.refresh_token)
        }
    };
    if app.oauth.expired(expires_at) {
        return Err(ApiError::auth_failed("the access token has already expired"));
    }
    let creds = Credentials {
        username: req.username.to_string(),
        password: access,
        authorize_as: None,
        oauth: Some(req.mechanism),
    };
    let conn = app.pools.probe_login(&creds).await?;
    tokio::spawn(conn.logout());
    let account = app.store.ensure_account(DEFAULT_SERVER, req.username).await?;
    let keyring = &app.auth.keyring;
    let sealed_access = keyring.seal(&account.id, ACCESS_FIELD, creds.password.expose());
    let refresh = rotated.as_ref().map(Secret::expose).or(req.refresh_token);
    let sealed_refresh = refresh.map(|r| keyring.seal(&account.id, REFRESH_FIELD, r)).unwrap_or_default();
    let secret = OAuthSecret {
        kind: req.mechanism.name(),
        access: &sealed_access,
        expires_at,
        refresh: Some(&sealed_refresh),
        provider: refresh.and(req.provider),
    };
    let version = app.store.set_account_oauth(&account.id, &secret).await?;
    app.pools.install(&account.id, version, creds, expires_at).unpark();
    app.events.logged_in(&account.id);
    tracing::info!(account.id = %account.id, mechanism = req.mechanism.name(), "oauth login");
    super::flows::start_session(app, &account.id).await
}

/// Forgets the tokens of an account that can no longer log in, and drains its pool: requests
/// answer `reauth-required` without any IMAP login until the user logs in again. If the row
/// changed since it was read (another instance renewed it, or the user logged in again), its
/// new state is kept and returned instead.
async fn forget(app: &App, account: &Account, why: &str) -> Result<Option<Account>, ApiError> {
    if !app.store.clear_account_tokens_if(&account.id, account.credential_version).await? {
        return reread(app, &account.id).await.map(Some);
    }
    app.pools.close_account(&account.id).await;
    tracing::info!(account.id = %account.id, reason = why, "oauth account needs a new login");
    Err(ApiError::reauth_required(why.to_string()))
}

async fn reread(app: &App, id: &str) -> Result<Account, ApiError> {
    let account = app.store.account(id).await?.ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
    usable(account)
}

/// The account, if it still holds an access token.
fn usable(account: Account) -> Result<Account, ApiError> {
    if account.secret.is_empty() {
        return Err(ApiError::reauth_required("the account holds no valid token: log in again"));
    }
    Ok(account)
}

/// The configured provider through which `account` can renew its token: none without a
/// refresh token or with a provider the configuration no longer names.
fn refresh_provider<'a>(app: &App, account: &'a Account) -> Option<&'a str> {
    let provider = account.oauth_provider.as_deref().filter(|p| app.oauth.has_provider(p))?;
    (!account.refresh_secret.is_empty()).then_some(provider)
}

/// Renews the access token of `account` when it is due: `Ok(None)` keeps the stored one.
async fn renew(app: &App, account: &Account) -> Result<Option<Account>, ApiError> {
    let expires_at = account.secret_expires_at.unwrap_or(0);
    let expired = app.oauth.expired(expires_at);
    let Some(provider) = refresh_provider(app, account) else {
        if expired {
            return forget(app, account, "the access token expired and the gateway holds no refresh token").await;
        }
        return Ok(None);
    };
    if app.oauth.backing_off(&account.id) {
        // The endpoint failed moments ago: no call per request while it recovers.
        return if expired {
            Err(ApiError::token_endpoint_unavailable("the token endpoint failed moments ago; the gateway retries soon"))
        } else {
            Ok(None)
        };
    }
    let keyring = &app.auth.keyring;
    let refresh = keyring
        .open(&account.id, REFRESH_FIELD, &account.refresh_secret)
        .map_err(|e| ApiError::internal(format!("cannot decrypt the refresh token of account {}: {e}", account.id)))?;
    match app.oauth.refresh(provider, &refresh).await {
        Ok(g) => {
            let sealed_access = keyring.seal(&account.id, ACCESS_FIELD, g.access_token.expose());
            let sealed_refresh = g.refresh_token.as_ref().map(|r| keyring.seal(&account.id, REFRESH_FIELD, r.expose()));
            let secret = OAuthSecret {
                kind: &account.auth_kind,
                access: &sealed_access,
                expires_at: g.expires_at,
                refresh: sealed_refresh.as_deref(),
                provider: Some(provider),
            };
            let Some(version) = app.store.renew_account_oauth(&account.id, &secret, account.credential_version).await?
            else {
                // Renewed elsewhere (another instance) or replaced by a new login meanwhile.
                return reread(app, &account.id).await.map(Some);
            };
            tracing::info!(account.id = %account.id, "access token refreshed");
            let mut next = account.clone();
            next.secret = sealed_access;
            next.secret_expires_at = Some(g.expires_at);
            next.credential_version = version;
            Ok(Some(next))
        }
        Err(RefreshError::Refused(code)) => {
            forget(app, account, &format!("the provider refused the refresh token ({code})")).await
        }
        Err(e) => {
            app.oauth.back_off(&account.id);
            tracing::warn!(account.id = %account.id, error = %e, "access token refresh failed");
            if expired { Err(ApiError::token_endpoint_unavailable(e.to_string())) } else { Ok(None) }
        }
    }
}

/// The credentials of an OAuth2 account, renewed first when due; with the version and expiry.
pub async fn credentials(app: &App, account: Account) -> Result<(Credentials, i64, i64), ApiError> {
    let mechanism = mechanism_of(&account.auth_kind).ok_or_else(|| ApiError::internal("not an OAuth2 account"))?;
    let mut account = usable(account)?;
    if app.oauth.due(account.secret_expires_at.unwrap_or(0)) {
        let lock = app.oauth.lock(&account.id);
        let _one_refresh_at_a_time = lock.lock().await;
        // Another request may have renewed it while this one waited.
        account = reread(app, &account.id).await?;
        if app.oauth.due(account.secret_expires_at.unwrap_or(0))
            && let Some(next) = renew(app, &account).await?
        {
            account = next;
        }
    }
    credentials_of(app, account, mechanism)
}

fn credentials_of(app: &App, account: Account, mechanism: OAuthMechanism) -> Result<(Credentials, i64, i64), ApiError> {
    let (version, expires_at) = (account.credential_version, account.secret_expires_at.unwrap_or(0));
    Ok((app.open_credentials(account, ACCESS_FIELD, Some(mechanism))?, version, expires_at))
}

/// The IMAP server refused the account's access token before its expiry (revoked early, or
/// its lifetime was guessed): renew it once now if a refresh token allows, else forget it
/// (`reauth-required`). `Ok(None)`: nothing better than the parked pool (no OAuth2 account,
/// or it was tried already within the park).
pub async fn after_refusal(app: &App, account_id: &str) -> Result<Option<(Credentials, i64, i64)>, ApiError> {
    if !app.oauth.first_refusal(account_id) {
        return Ok(None);
    }
    let lock = app.oauth.lock(account_id);
    let _one_refresh_at_a_time = lock.lock().await;
    let account = reread(app, account_id).await?;
    let Some(mechanism) = mechanism_of(&account.auth_kind) else { return Ok(None) };
    if refresh_provider(app, &account).is_none() {
        return match forget(app, &account, "the IMAP server refused the access token").await? {
            Some(newer) => credentials_of(app, newer, mechanism).map(Some),
            None => Ok(None),
        };
    }
    let next = renew(app, &account).await?.unwrap_or(account);
    credentials_of(app, next, mechanism).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_tokens() {
        let login = OAuthLogin {
            username: "alice",
            access_token: Some("ya29.access-token-value"),
            mechanism: OAuthMechanism::XOAuth2,
            expires_in: Some(60),
            refresh_token: Some("1//refresh-token-value"),
            provider: Some("google"),
        };
        let shown = format!("{login:?}");
        assert!(!shown.contains("token-value"), "{shown}");
        assert!(shown.contains("alice") && shown.contains("[redacted]"), "{shown}");
    }
}
