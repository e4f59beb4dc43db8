//! Following an account: its feed on the event hub, with an IDLE watcher that logs in with
//! the account's credentials (read afresh at every reconnect). The step event streams and
//! webhooks both take; [`Follower`] is the handle that carries what it needs.

use std::{sync::Arc, time::Duration};

use crate::{
    auth::credentials::{CredentialError, Vault},
    config::{EventsSettings, Settings},
    sync::{
        events::{Feed, Hub, StreamLimits, StreamRefused, StreamWants},
        token::ModState,
        watcher::CredentialSource,
    },
};

/// Why an event stream cannot follow its account.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The account's credentials are unusable.
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    /// Past the account's stream limits.
    #[error(transparent)]
    Refused(#[from] StreamRefused),
}

/// The hub, and what a new watcher needs: the account's credentials, the IMAP target and the
/// event settings. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Follower {
    /// Live-event feeds and their watchers.
    pub hub: Arc<Hub>,
    vault: Vault,
    settings: EventsSettings,
    /// The longest a watcher's connection is used.
    lifetime: Duration,
}

impl Follower {
    /// A follower of the accounts `vault` opens, on `hub`.
    pub fn new(hub: Arc<Hub>, vault: Vault, settings: &Settings) -> Self {
        let lifetime = Duration::from_secs(settings.pool.max_connection_lifetime_secs.max(1));
        Self { hub, vault, settings: settings.events.clone(), lifetime }
    }

    /// The account's feed, following `mailboxes` for its webhooks (created with its watcher
    /// if there is none). Fails (401) at once if the account's credentials are unusable; the
    /// watcher reads them afresh at every reconnect.
    pub async fn follow(
        &self,
        account: &str,
        mailboxes: &[String],
        seeds: &[(String, ModState)],
    ) -> Result<Arc<Feed>, CredentialError> {
        self.vault.credentials_for(account).await?;
        let spawn = self.watcher_spawner(account);
        Ok(self.hub.feed(account, mailboxes, seeds, self.settings.replay_buffer, spawn))
    }

    /// [`Self::follow`] for one more event stream: `mailboxes` are followed while the returned
    /// guard lives; 429 or 422 past the account's stream limits.
    pub async fn follow_stream(
        &self,
        account: &str,
        mailboxes: &[String],
    ) -> Result<(Arc<Feed>, StreamWants), FollowError> {
        self.vault.credentials_for(account).await?;
        let s = &self.settings;
        let limits = StreamLimits { max_streams: s.max_streams_per_account, max_mailboxes: s.max_mailboxes };
        let spawn = self.watcher_spawner(account);
        Ok(self.hub.stream(account, mailboxes, s.replay_buffer, limits, spawn)?)
    }

    /// Starts the watcher of a new feed of `account`.
    fn watcher_spawner(&self, account: &str) -> impl FnOnce(Arc<Feed>) + use<> {
        let source = self.credential_source(account);
        let (settings, lifetime) = (self.settings.clone(), self.lifetime);
        let (hub, target) = (self.hub.clone(), self.vault.pools.target());
        move |feed| crate::sync::watcher::spawn(feed, hub, target, source, settings, lifetime)
    }

    /// The account's credentials, read afresh on each call (for watchers that reconnect).
    fn credential_source(&self, account: &str) -> CredentialSource {
        let (vault, account) = (self.vault.clone(), account.to_string());
        Arc::new(move || {
            let (vault, account) = (vault.clone(), account.clone());
            Box::pin(async move {
                let found = vault.credentials_for(&account).await;
                if let Err(e) = &found {
                    log_internal(e);
                }
                found.ok().map(|(c, _)| c)
            })
        })
    }
}

/// Logs a credential failure that a request would answer with 500 or 503 (and log as such):
/// an unreadable secret, a non-OAuth2 account asked for a token, a database error.
pub(crate) fn log_internal(e: &CredentialError) {
    match e {
        CredentialError::Unreadable { .. } | CredentialError::NotOAuth => tracing::error!(error = %e, "internal error"),
        CredentialError::Store(_) => tracing::error!(error = %e, "store error"),
        _ => {}
    }
}
