//! OAuth2 logins: with a caller's access token (and optionally a refresh token of a
//! configured provider). Such an account's credentials for a pool, renewed ahead of expiry or
//! refused with `reauth-required`, are the credential policy's (`credentials`).

use crate::{
    config::Secret,
    imap::{Credentials, encode::sasl::OAuthMechanism},
    store::accounts::OAuthSecret,
    views::auth::TokenResponse,
};

use super::{
    DEFAULT_SERVER,
    flows::{AuthError, Sessions},
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

fn check(req: &OAuthLogin<'_>, sessions: Sessions<'_>) -> Result<(), AuthError> {
    if let Some(t) = req.access_token {
        crate::imap::encode::sasl::check_token(t)
            .map_err(|_| invalid("accessToken", "must be 1-16384 characters of an RFC 6750 token"))?;
    }
    match (req.refresh_token, req.provider) {
        (Some(r), Some(p)) => {
            if r.is_empty() || r.len() > 16 * 1024 || r.chars().any(char::is_control) {
                return Err(invalid("refreshToken", "must be 1-16384 characters without control characters"));
            }
            if !sessions.vault.oauth.has_provider(p) {
                return Err(AuthError::UnknownProvider);
            }
        }
        (Some(_), None) => return Err(invalid("provider", "a refresh token needs its provider")),
        (None, Some(_)) => return Err(invalid("refreshToken", "a provider needs a refresh token")),
        (None, None) if req.access_token.is_none() => {
            return Err(invalid("password", "give a password, an accessToken, or a refreshToken with its provider"));
        }
        (None, None) => {}
    }
    Ok(())
}

fn invalid(field: &'static str, reason: &'static str) -> AuthError {
    AuthError::InvalidProperty { field, reason }
}

fn refresh_error(e: RefreshError) -> AuthError {
    match e {
        RefreshError::Refused(_) => AuthError::AuthFailed(e.to_string()),
        RefreshError::Unavailable(_) => AuthError::TokenEndpoint(e.to_string()),
        RefreshError::UnknownProvider(_) => AuthError::UnknownProvider,
    }
}

/// Proves the token with a real AUTHENTICATE, stores it (and the refresh token) encrypted
/// until it expires, installs the account's pool and issues a token pair.
pub async fn login(sessions: Sessions<'_>, req: OAuthLogin<'_>) -> Result<TokenResponse, AuthError> {
    super::flows::check_username(req.username)?;
    check(&req, sessions)?;
    let oauth = &sessions.vault.oauth;
    let (access, expires_at, rotated) = match req.access_token {
        Some(t) => (Secret::new(t), oauth.expiry_of(t, req.expires_in), None),
        None => {
            let (provider, refresh) = (req.provider.unwrap_or_default(), req.refresh_token.unwrap_or_default());
            let g = oauth.refresh(provider, refresh).await.map_err(refresh_error)?;
            (g.access_token, g.expires_at, g.refresh_token)
        }
    };
    if oauth.expired(expires_at) {
        return Err(AuthError::AuthFailed("the access token has already expired".into()));
    }
    let creds = Credentials {
        username: req.username.to_string(),
        password: access,
        authorize_as: None,
        oauth: Some(req.mechanism),
    };
    let conn = sessions.vault.pools.probe_login(&creds).await?;
    tokio::spawn(conn.logout());
    let account = sessions.vault.store.ensure_account(DEFAULT_SERVER, req.username).await?;
    let keyring = &sessions.vault.keyring;
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
    let version = sessions.vault.store.set_account_oauth(&account.id, &secret).await?;
    sessions.vault.pools.install(&account.id, version, creds, expires_at).unpark();
    sessions.events.logged_in(&account.id);
    tracing::info!(account.id = %account.id, mechanism = req.mechanism.name(), "oauth login");
    super::flows::start_session(sessions, &account.id).await
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
