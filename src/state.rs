//! Shared application state, and the step from an authenticated account to its IMAP pool.

pub mod slots;

use std::{
    ops::Deref,
    sync::{Arc, atomic::AtomicBool},
};

use crate::{
    auth::{Auth, PASSWORD_FIELD},
    config::{Secret, Settings},
    error::ApiError,
    imap::{AccountPool, Credentials, Pools},
    store::Store,
    sync::{
        events::{Feed, Hub, StreamLimits, StreamWants},
        snapshots::Snapshots,
    },
    webhooks::Webhooks,
};

/// Everything a request may need.
#[derive(Debug)]
pub struct App {
    /// Settings the process started with.
    pub settings: Settings,
    /// Accounts, refresh tokens, revocations.
    pub store: Store,
    /// IMAP connection pools.
    pub pools: Arc<Pools>,
    /// Tokens and credential encryption.
    pub auth: Auth,
    /// False once shutdown has begun (`/readyz` answers 503).
    pub ready: AtomicBool,
    /// Scan snapshots behind `sc1.` tokens.
    pub snapshots: Snapshots,
    /// Live-event feeds and their watchers.
    pub events: Arc<Hub>,
    /// Webhook dispatchers and the delivery worker's wake-up.
    pub webhooks: Webhooks,
    /// Counters and histograms for `/metrics` (shared with the IMAP connections).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Failed-login counts per IP and username.
    pub login_limiter: crate::auth::limiter::LoginLimiter,
    /// Concurrent-request slots per account (in the database too on PostgreSQL).
    pub slots: slots::AccountSlots,
    /// Auth mode B, when configured.
    pub trusted: Option<crate::auth::trusted::Trusted>,
    /// Trusted-issuer user names already known, to their account ids.
    pub trusted_accounts: dashmap::DashMap<String, String>,
    /// OAuth2 providers, token refresh and the clock of token expiry.
    pub oauth: crate::auth::oauth::OAuth,
}

/// Cheap-to-clone handle for axum.
#[derive(Clone, Debug)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    /// The account's feed, following `mailboxes` for its webhooks (created with its watcher
    /// if there is none). Fails (401) at once if the account's credentials are unusable; the
    /// watcher reads them afresh at every reconnect.
    pub async fn follow(
        &self,
        account: &str,
        mailboxes: &[String],
        seeds: &[(String, crate::sync::token::ModState)],
    ) -> Result<Arc<Feed>, ApiError> {
        self.credentials_for(account).await?;
        let spawn = self.watcher_spawner(account);
        Ok(self.events.feed(account, mailboxes, seeds, self.settings.events.replay_buffer, spawn))
    }

    /// [`Self::follow`] for one more event stream: `mailboxes` are followed while the returned
    /// guard lives; 429 or 422 past the account's stream limits.
    pub async fn follow_stream(
        &self,
        account: &str,
        mailboxes: &[String],
    ) -> Result<(Arc<Feed>, StreamWants), ApiError> {
        self.credentials_for(account).await?;
        let s = &self.settings.events;
        let limits = StreamLimits { max_streams: s.max_streams_per_account, max_mailboxes: s.max_mailboxes };
        let spawn = self.watcher_spawner(account);
        Ok(self.events.stream(account, mailboxes, s.replay_buffer, limits, spawn)?)
    }

    /// Starts the watcher of a new feed of `account`.
    fn watcher_spawner(&self, account: &str) -> impl FnOnce(Arc<Feed>) + use<> {
        let source = self.credential_source(account);
        let settings = self.settings.events.clone();
        let lifetime = std::time::Duration::from_secs(self.settings.pool.max_connection_lifetime_secs.max(1));
        let (hub, target) = (self.events.clone(), self.pools.target());
        move |feed| crate::sync::watcher::spawn(feed, hub, target, source, settings, lifetime)
    }

    /// The account's credentials, read afresh on each call (for watchers that reconnect).
    fn credential_source(&self, account: &str) -> crate::sync::watcher::CredentialSource {
        let (st, account) = (self.clone(), account.to_string());
        Arc::new(move || {
            let (st, account) = (st.clone(), account.clone());
            Box::pin(async move { st.credentials_for(&account).await.ok().map(|(c, _)| c) })
        })
    }
}

impl App {
    /// The pool of `account_id`, rebuilt from the stored encrypted credential when this
    /// instance has none (after a restart, or on another instance).
    /// An OAuth2 account's pool is reused only while its access token is not due for renewal.
    pub async fn pool_for(&self, account_id: &str) -> Result<Arc<AccountPool>, ApiError> {
        if let Some(pool) = self.pools.existing(account_id, 0) {
            let expires_at = pool.expires_at.load(std::sync::atomic::Ordering::Relaxed);
            if expires_at != 0 && pool.parked() {
                // The server refused a token that should still be valid: renew it once.
                let Some((creds, version, expires_at)) =
                    crate::auth::oauth_flows::after_refusal(self, account_id).await?
                else {
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
    pub async fn credentials_for(&self, account_id: &str) -> Result<(Credentials, i64), ApiError> {
        self.credentials_expiring(account_id).await.map(|(c, v, _)| (c, v))
    }

    /// [`Self::credentials_for`], with when the credential expires (unix seconds; 0: never).
    /// An OAuth2 access token due for renewal is renewed first.
    pub async fn credentials_expiring(&self, account_id: &str) -> Result<(Credentials, i64, i64), ApiError> {
        let account = self
            .store
            .account(account_id)
            .await?
            .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
        if account.server == crate::auth::trusted::SERVER {
            // Mode B: the master login, never a stored password.
            let trusted =
                self.trusted.as_ref().ok_or_else(|| ApiError::unauthorized("the trusted issuer is not configured"))?;
            return Ok((trusted.credentials(&account.username), account.credential_version, 0));
        }
        if crate::auth::oauth_flows::mechanism_of(&account.auth_kind).is_some() {
            return crate::auth::oauth_flows::credentials(self, account).await;
        }
        let version = account.credential_version;
        Ok((self.open_credentials(account, PASSWORD_FIELD, None)?, version, 0))
    }

    /// The account's stored secret (`field`: the password, or an OAuth2 access token for
    /// `oauth`), decrypted into the credentials its pool logs in with.
    pub fn open_credentials(
        &self,
        account: crate::store::accounts::Account,
        field: &str,
        oauth: Option<crate::imap::encode::sasl::OAuthMechanism>,
    ) -> Result<Credentials, ApiError> {
        let secret =
            self.auth.keyring.open(&account.id, field, &account.secret).map_err(|e| {
                ApiError::internal(format!("cannot decrypt the {field} of account {}: {e}", account.id))
            })?;
        Ok(Credentials { username: account.username, password: Secret::new(secret), authorize_as: None, oauth })
    }

    /// The account of a trusted-issuer user, created on first sight (with no secret).
    pub async fn trusted_account(&self, username: &str) -> Result<String, ApiError> {
        if let Some(id) = self.trusted_accounts.get(username) {
            return Ok(id.clone());
        }
        let account = self.store.ensure_account(crate::auth::trusted::SERVER, username).await?;
        self.trusted_accounts.insert(username.to_string(), account.id.clone());
        Ok(account.id)
    }
}
