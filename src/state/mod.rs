//! Shared application state: every long-lived part of the process in one [`App`], and the
//! narrow handles the layers below take from it (the credential [`Vault`], the
//! [`Follower`] of accounts, the login [`Sessions`]). No policy lives here.

pub(crate) mod slots;

use std::{
    ops::Deref,
    sync::{Arc, atomic::AtomicBool},
};

use crate::{
    auth::{
        Auth,
        credentials::{CredentialError, Vault},
        flows::Sessions,
    },
    config::Settings,
    follow::Follower,
    imap::{AccountPool, Pools},
    store::Store,
    sync::{events::Hub, snapshots::Snapshots},
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
    /// False once shutdown has begun (`/readyz` answers 503; webhook dispatchers stop).
    pub ready: Arc<AtomicBool>,
    /// Scan snapshots behind `sc1.` tokens.
    pub snapshots: Snapshots,
    /// Live-event feeds and their watchers.
    pub events: Arc<Hub>,
    /// Webhook dispatchers and the delivery worker's wake-up.
    pub webhooks: Arc<Webhooks>,
    /// Counters and histograms for `/metrics` (shared with the IMAP connections).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Failed-login counts per IP and username.
    pub login_limiter: crate::auth::limiter::LoginLimiter,
    /// Concurrent-request slots per account (in the database too on PostgreSQL).
    pub slots: slots::AccountSlots,
    /// Auth mode B, when configured.
    pub trusted: Option<Arc<crate::auth::trusted::Trusted>>,
    /// Trusted-issuer user names already known, to their account ids.
    pub trusted_accounts: Arc<dashmap::DashMap<String, String>>,
    /// OAuth2 providers, token refresh and the clock of token expiry.
    pub oauth: Arc<crate::auth::oauth::OAuth>,
    /// The credential policy's handle (the same store, keyring, OAuth2, trusted issuer and pools).
    pub vault: Vault,
    /// The feeds of accounts, with their watchers (the same hub and vault).
    pub follower: Follower,
    /// The submission server, when `[smtp] host` is set.
    pub mailer: Option<Arc<crate::smtp::Submitter>>,
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

impl App {
    /// The pool of `account_id`, rebuilt from the stored encrypted credential when this
    /// instance has none (after a restart, or on another instance); see [`Vault::pool_for`].
    pub async fn pool_for(&self, account_id: &str) -> Result<Arc<AccountPool>, CredentialError> {
        self.vault.pool_for(account_id).await
    }

    /// What login, refresh and logout use.
    pub fn sessions(&self) -> Sessions<'_> {
        Sessions {
            vault: &self.vault,
            auth: &self.auth,
            events: &self.events,
            reuse_grace_secs: self.settings.auth.refresh_reuse_grace_secs,
        }
    }
}
