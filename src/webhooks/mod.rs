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
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::sync::{Mutex, Notify, watch};

use crate::{auth::crypto::Keyring, config::WebhookSettings, follow::Follower, store::Store};

/// Event types a webhook can ask for.
pub const EVENT_TYPES: [&str; 4] = ["message.created", "message.updated", "message.deleted", "mailbox.changed"];

/// A running dispatcher's controls: told when its account's webhooks change, it tells back
/// when it serves them (subscribed to the feed with the webhooks it was told about).
#[derive(Debug, Default)]
pub(crate) struct Control {
    /// Wakes the dispatcher: the webhooks changed.
    pub(crate) changed: Notify,
    /// Bumped on every change.
    requested: AtomicU64,
    /// The last change the dispatcher serves.
    served: watch::Sender<u64>,
}

impl Control {
    /// The change a run about to read the webhooks will serve.
    pub(crate) fn requested(&self) -> u64 {
        self.requested.load(Ordering::SeqCst)
    }

    /// The dispatcher serves (or, on standby or failure, gave up on) change `generation`.
    pub(crate) fn served(&self, generation: u64) {
        self.served.send_if_modified(|s| {
            let newer = generation > *s;
            *s = (*s).max(generation);
            newer
        });
    }
}

/// A change of an account's webhooks, told to its dispatcher.
#[must_use = "wait for the dispatcher, or drop this to go on at once"]
pub struct Told {
    control: Arc<Control>,
    generation: u64,
}

impl Told {
    /// Waits, at most `limit`, until the dispatcher serves the change: from then on, every
    /// event of the new webhooks' mailboxes is queued. False if `limit` passed first.
    pub async fn served(self, limit: Duration) -> bool {
        let mut rx = self.control.served.subscribe();
        tokio::time::timeout(limit, rx.wait_for(|s| *s >= self.generation)).await.is_ok_and(|r| r.is_ok())
    }
}

/// The running dispatchers of this instance, the worker's wake-up, and what both need.
#[derive(Debug)]
pub struct Webhooks {
    dispatchers: Mutex<HashMap<String, Arc<Control>>>,
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

    /// Makes sure `account` has a dispatcher that knows its current webhooks (call it after
    /// changing them in the store).
    pub async fn ensure(self: &Arc<Self>, account: &str) -> Told {
        let mut running = self.dispatchers.lock().await;
        let (control, fresh) = match running.get(account) {
            Some(c) => (c.clone(), false),
            None => {
                let c = Arc::new(Control::default());
                running.insert(account.to_string(), c.clone());
                (c, true)
            }
        };
        let generation = control.requested.fetch_add(1, Ordering::SeqCst) + 1;
        if fresh {
            dispatch::spawn(self.clone(), account.to_string(), control.clone());
        } else {
            control.changed.notify_one();
        }
        Told { control, generation }
    }

    /// Called by a dispatcher that found no webhooks: true if it may end. The check is
    /// repeated under the registry lock so that a webhook added meanwhile is never orphaned.
    pub(crate) async fn retire(&self, account: &str, control: &Arc<Control>) -> bool {
        let mut running = self.dispatchers.lock().await;
        if !matches!(self.store.webhooks(account).await, Ok(hooks) if hooks.is_empty()) {
            return false;
        }
        if running.get(account).is_some_and(|c| Arc::ptr_eq(c, control)) {
            running.remove(account);
        }
        true
    }

    /// Starts dispatchers for every account with webhooks, and the delivery worker.
    pub async fn start(self: &Arc<Self>) {
        match self.store.webhook_accounts().await {
            Ok(accounts) => {
                for account in accounts {
                    drop(self.ensure(&account).await);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot load webhooks"),
        }
        deliver::spawn_worker(self.clone());
    }
}
