//! Credential policy: the step from an account id to the IMAP credentials its pool logs in
//! with (a stored password, a trusted issuer's master login, or an OAuth2 access token renewed
//! ahead of expiry, see `renew.rs`) and to the pool itself. Everything it needs comes in one
//! [`Vault`]; its failures are [`CredentialError`]s.

mod renew;

use std::sync::Arc;

use dashmap::DashMap;

use super::{PASSWORD_FIELD, crypto::Keyring, oauth::OAuth, trusted::Trusted};
use crate::{
    config::Secret,
    imap::{AccountPool, Credentials, Pools, encode::sasl::OAuthMechanism},
    store::{Store, StoreError, accounts::Account},
};

/// Why an account has no usable credentials now.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The account row is gone (401).
    #[error("the account no longer exists")]
    AccountGone,
    /// A trusted-issuer account on an instance without a trusted issuer (401).
    #[error("the trusted issuer is not configured")]
    TrustedOff,
    /// The stored secret cannot be opened with this instance's keys (500).
    #[error("cannot decrypt the {field} of account {account}: {error}")]
    Unreadable {
        /// The keyring field.
        field: String,
        /// The account id.
        account: String,
        /// What the keyring said.
        error: super::crypto::CryptoError,
    },
    /// An OAuth2 step on an account that is not one (500).
    #[error("not an OAuth2 account")]
    NotOAuth,
    /// The OAuth2 token expired or was refused and cannot be renewed: the user must log in
    /// again (401 `reauth-required`).
    #[error("{0}")]
    ReauthRequired(String),
    /// The token endpoint failed while the access token needed renewing (503).
    #[error("{0}")]
    TokenEndpoint(String),
    /// The database failed (503).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the credential policy reads and changes: the accounts, the keyring that opens their
/// secrets, OAuth2 renewal, the trusted issuer, and the pools (an account that must log in
/// again has its pool drained). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Vault {
    /// Accounts and their sealed secrets.
    pub store: Store,
    /// Opens and seals stored secrets.
    pub keyring: Arc<Keyring>,
    /// OAuth2 providers, token refresh and the clock of token expiry.
    pub oauth: Arc<OAuth>,
    /// The IMAP pools of the accounts.
    pub pools: Arc<Pools>,
    /// Auth mode B, when configured.
    pub trusted: Option<Arc<Trusted>>,
    /// Trusted-issuer user names already known, to their account ids.
    pub trusted_accounts: Arc<DashMap<String, String>>,
}

/// The SASL mechanism an account's `auth_kind` names, or None for a password account.
pub fn mechanism_of(kind: &str) -> Option<OAuthMechanism> {
    match kind {
        "XOAUTH2" => Some(OAuthMechanism::XOAuth2),
        "OAUTHBEARER" => Some(OAuthMechanism::OAuthBearer),
        _ => None,
    }
}

impl Vault {
    /// The pool of `account_id`, rebuilt from the stored encrypted credential when this
    /// instance has none (after a restart, or on another instance).
    /// An OAuth2 account's pool is reused only while its access token is not due for renewal.
    pub async fn pool_for(&self, account_id: &str) -> Result<Arc<AccountPool>, CredentialError> {
        if let Some(pool) = self.pools.existing(account_id, 0) {
            let expires_at = pool.expires_at.load(std::sync::atomic::Ordering::Relaxed);
            if expires_at != 0 && pool.parked() {
                // The server refused a token that should still be valid: renew it once.
                let Some((creds, version, expires_at)) = renew::after_refusal(self, account_id).await? else {
                    return Ok(pool);
                };
                return Ok(self.pools.install(account_id, version, creds, expires_at));
            }
            if expires_at == 0 || !self.oauth.due(expires_at) {
                return Ok(pool);
            }
        }
        let (creds, version, expires_at) = self.credentials_expiring(account_id).await?;
        Ok(self.pools.install(account_id, version, creds, expires_at))
    }

    /// The IMAP credentials of `account_id`, decrypted from the store, with their version.
    pub async fn credentials_for(&self, account_id: &str) -> Result<(Credentials, i64), CredentialError> {
        self.credentials_expiring(account_id).await.map(|(c, v, _)| (c, v))
    }

    /// [`Self::credentials_for`], with when the credential expires (unix seconds; 0: never).
    /// An OAuth2 access token due for renewal is renewed first.
    pub async fn credentials_expiring(&self, account_id: &str) -> Result<(Credentials, i64, i64), CredentialError> {
        let account = self.store.account(account_id).await?.ok_or(CredentialError::AccountGone)?;
        if account.server == super::trusted::SERVER {
            // Mode B: the master login, never a stored password.
            let trusted = self.trusted.as_ref().ok_or(CredentialError::TrustedOff)?;
            return Ok((trusted.credentials(&account.username), account.credential_version, 0));
        }
        if mechanism_of(&account.auth_kind).is_some() {
            return renew::credentials(self, account).await;
        }
        let version = account.credential_version;
        Ok((self.open_credentials(account, PASSWORD_FIELD, None)?, version, 0))
    }

    /// The account's stored secret (`field`: the password, or an OAuth2 access token for
    /// `oauth`), decrypted into the credentials its pool logs in with.
    pub fn open_credentials(
        &self,
        account: Account,
        field: &str,
        oauth: Option<OAuthMechanism>,
    ) -> Result<Credentials, CredentialError> {
        let secret = self.keyring.open(&account.id, field, &account.secret).map_err(|error| {
            CredentialError::Unreadable { field: field.to_string(), account: account.id.clone(), error }
        })?;
        Ok(Credentials { username: account.username, password: Secret::new(secret), authorize_as: None, oauth })
    }

    /// The account of a trusted-issuer user, created on first sight (with no secret).
    pub async fn trusted_account(&self, username: &str) -> Result<String, StoreError> {
        if let Some(id) = self.trusted_accounts.get(username) {
            return Ok(id.clone());
        }
        let account = self.store.ensure_account(super::trusted::SERVER, username).await?;
        self.trusted_accounts.insert(username.to_string(), account.id.clone());
        Ok(account.id)
    }
}
