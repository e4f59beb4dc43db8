//! Webhooks: per-account dispatchers that turn feed events into persisted deliveries, the
//! delivery worker with its fair shares per account, signatures, and the SSRF rules for
//! destinations. They get what they need through [`Webhooks`] (the store, the keyring, their
//! settings, the [`Follower`] of accounts), not the application state.

pub(crate) mod deliver;
pub(crate) mod dispatch;
pub(crate) mod schedule;
pub(crate) mod sign;
pub(crate) mod ssrf;

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use tokio::sync::{Mutex, Notify};

use crate::{auth::crypto::Keyring, config::WebhookSettings, follow::Follower, store::Store};

/// Event types a webhook can ask for.
pub const EVENT_TYPES: [&str; 4] = ["message.created", "message.updated", "message.deleted", "mailbox.changed"];

/// The running dispatchers of this instance, the worker's wake-up, and what both need.
#[derive(Debug)]
pub struct Webhooks {
    dispatchers: Mutex<HashMap<String, Arc<Notify>>>,
    /// Wakes the delivery worker when something was queued.
    pub wake: Notify,
    /// This process's name on dispatch leases.
    pub instance: String,
    /// Webhooks, their cursors and the delivery queue.
    store: Store,
    /// Opens the webhook secrets.
    keyring: Arc<Keyring>,
    settings: WebhookSettings,
    /// The accounts' feeds the dispatchers subscribe to.
    follower: Follower,
    /// False once shutdown has begun (shared with the application).
    ready: Arc<AtomicBool>,
}

impl Webhooks {
    /// The registry of an instance whose readiness is `ready`.
    pub fn new(
        store: Store,
        keyring: Arc<Keyring>,
        settings: WebhookSettings,
        follower: Follower,
        ready: Arc<AtomicBool>,
    ) -> Self {
        Self {
            dispatchers: Mutex::default(),
            wake: Notify::new(),
            instance: format!("gw_{}", uuid::Uuid::new_v4().simple()),
            store,
            keyring,
            settings,
            follower,
            ready,
        }
    }

    /// False once shutdown has begun.
    fn ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Makes sure `account` has a dispatcher that knows its current webhooks.
    pub async fn ensure(self: &Arc<Self>, account: &str) {
        let mut running = self.dispatchers.lock().await;
        if let Some(changed) = running.get(account) {
            changed.notify_one();
            return;
        }
        let changed = Arc::new(Notify::new());
        running.insert(account.to_string(), changed.clone());
        dispatch::spawn(self.clone(), account.to_string(), changed);
    }

    /// Called by a dispatcher that found no webhooks: true if it may end. The check is
    /// repeated under the registry lock so that a webhook added meanwhile is never orphaned.
    pub(crate) async fn retire(&self, account: &str, changed: &Arc<Notify>) -> bool {
        let mut running = self.dispatchers.lock().await;
        if !matches!(self.store.webhooks(account).await, Ok(hooks) if hooks.is_empty()) {
            return false;
        }
        if running.get(account).is_some_and(|n| Arc::ptr_eq(n, changed)) {
            running.remove(account);
        }
        true
    }

    /// Starts dispatchers for every account with webhooks, and the delivery worker.
    pub async fn start(self: &Arc<Self>) {
        match self.store.webhook_accounts().await {
            Ok(accounts) => {
                for account in accounts {
                    self.ensure(&account).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot load webhooks"),
        }
        deliver::spawn_worker(self.clone());
    }
}
