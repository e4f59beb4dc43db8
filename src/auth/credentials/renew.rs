//! An OAuth2 account's credentials: the access token renewed ahead of expiry (or once after
//! the server refused it early) through the account's refresh token, or forgotten with its
//! pool drained (`reauth-required`, no further IMAP login) when it cannot be renewed.

use super::{CredentialError, Vault, mechanism_of};
use crate::{
    auth::oauth::{ACCESS_FIELD, REFRESH_FIELD, RefreshError},
    imap::{Credentials, encode::sasl::OAuthMechanism},
    store::accounts::{Account, OAuthSecret},
};

/// Forgets the tokens of an account that can no longer log in, and drains its pool: requests
/// answer `reauth-required` without any IMAP login until the user logs in again. If the row
/// changed since it was read (another instance renewed it, or the user logged in again), its
/// new state is kept and returned instead.
async fn forget(v: &Vault, account: &Account, why: &str) -> Result<Option<Account>, CredentialError> {
    if !v.store.clear_account_tokens_if(&account.id, account.credential_version).await? {
        return reread(v, &account.id).await.map(Some);
    }
    v.pools.close_account(&account.id).await;
    tracing::info!(account.id = %account.id, reason = why, "oauth account needs a new login");
    Err(CredentialError::ReauthRequired(why.to_string()))
}

async fn reread(v: &Vault, id: &str) -> Result<Account, CredentialError> {
    let account = v.store.account(id).await?.ok_or(CredentialError::AccountGone)?;
    usable(account)
}

/// The account, if it still holds an access token.
fn usable(account: Account) -> Result<Account, CredentialError> {
    if account.secret.is_empty() {
        return Err(CredentialError::ReauthRequired("the account holds no valid token: log in again".into()));
    }
    Ok(account)
}

/// The configured provider through which `account` can renew its token: none without a
/// refresh token or with a provider the configuration no longer names.
fn refresh_provider<'a>(v: &Vault, account: &'a Account) -> Option<&'a str> {
    let provider = account.oauth_provider.as_deref().filter(|p| v.oauth.has_provider(p))?;
    (!account.refresh_secret.is_empty()).then_some(provider)
}

/// Renews the access token of `account` when it is due: `Ok(None)` keeps the stored one.
async fn renew(v: &Vault, account: &Account) -> Result<Option<Account>, CredentialError> {
    let expires_at = account.secret_expires_at.unwrap_or(0);
    let expired = v.oauth.expired(expires_at);
    let Some(provider) = refresh_provider(v, account) else {
        if expired {
            return forget(v, account, "the access token expired and the gateway holds no refresh token").await;
        }
        return Ok(None);
    };
    if v.oauth.backing_off(&account.id) {
        // The endpoint failed moments ago: no call per request while it recovers.
        return if expired {
            Err(CredentialError::TokenEndpoint(
                "the token endpoint failed moments ago; the gateway retries soon".into(),
            ))
        } else {
            Ok(None)
        };
    }
    let keyring = &v.keyring;
    let refresh = keyring.open(&account.id, REFRESH_FIELD, &account.refresh_secret).map_err(|error| {
        CredentialError::Unreadable { field: "refresh token".into(), account: account.id.clone(), error }
    })?;
    match v.oauth.refresh(provider, &refresh).await {
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
            let Some(version) = v.store.renew_account_oauth(&account.id, &secret, account.credential_version).await?
            else {
                // Renewed elsewhere (another instance) or replaced by a new login meanwhile.
                return reread(v, &account.id).await.map(Some);
            };
            tracing::info!(account.id = %account.id, "access token refreshed");
            let mut next = account.clone();
            next.secret = sealed_access;
            next.secret_expires_at = Some(g.expires_at);
            next.credential_version = version;
            Ok(Some(next))
        }
        Err(RefreshError::Refused(code)) => {
            forget(v, account, &format!("the provider refused the refresh token ({code})")).await
        }
        Err(e) => {
            v.oauth.back_off(&account.id);
            tracing::warn!(account.id = %account.id, error = %e, "access token refresh failed");
            if expired { Err(CredentialError::TokenEndpoint(e.to_string())) } else { Ok(None) }
        }
    }
}

/// The credentials of an OAuth2 account, renewed first when due; with the version and expiry.
pub(super) async fn credentials(v: &Vault, account: Account) -> Result<(Credentials, i64, i64), CredentialError> {
    let mechanism = mechanism_of(&account.auth_kind).ok_or(CredentialError::NotOAuth)?;
    let mut account = usable(account)?;
    if v.oauth.due(account.secret_expires_at.unwrap_or(0)) {
        let lock = v.oauth.lock(&account.id);
        let _one_refresh_at_a_time = lock.lock().await;
        // Another request may have renewed it while this one waited.
        account = reread(v, &account.id).await?;
        if v.oauth.due(account.secret_expires_at.unwrap_or(0))
            && let Some(next) = renew(v, &account).await?
        {
            account = next;
        }
    }
    credentials_of(v, account, mechanism)
}

fn credentials_of(
    v: &Vault,
    account: Account,
    mechanism: OAuthMechanism,
) -> Result<(Credentials, i64, i64), CredentialError> {
    let (version, expires_at) = (account.credential_version, account.secret_expires_at.unwrap_or(0));
    Ok((v.open_credentials(account, ACCESS_FIELD, Some(mechanism))?, version, expires_at))
}

/// The IMAP server refused the account's access token before its expiry (revoked early, or
/// its lifetime was guessed): renew it once now if a refresh token allows, else forget it
/// (`reauth-required`). `Ok(None)`: nothing better than the parked pool (no OAuth2 account,
/// or it was tried already within the park).
pub(super) async fn after_refusal(
    v: &Vault,
    account_id: &str,
) -> Result<Option<(Credentials, i64, i64)>, CredentialError> {
    if !v.oauth.first_refusal(account_id) {
        return Ok(None);
    }
    let lock = v.oauth.lock(account_id);
    let _one_refresh_at_a_time = lock.lock().await;
    let account = reread(v, account_id).await?;
    let Some(mechanism) = mechanism_of(&account.auth_kind) else { return Ok(None) };
    if refresh_provider(v, &account).is_none() {
        return match forget(v, &account, "the IMAP server refused the access token").await? {
            Some(newer) => credentials_of(v, newer, mechanism).map(Some),
            None => Ok(None),
        };
    }
    let next = renew(v, &account).await?.unwrap_or(account);
    credentials_of(v, next, mechanism).map(Some)
}
