//! Webhooks: per-account dispatchers that turn feed events into persisted deliveries, the
//! delivery worker with its fair shares per account, signatures, and the SSRF rules for
//! destinations.

pub mod deliver;
pub mod dispatch;
pub mod schedule;
pub mod sign;
pub mod ssrf;

use std::{collections::HashMap, sync::Arc};

use tokio::sync::{Mutex, Notify};

use crate::state::AppState;

/// Event types a webhook can ask for.
pub const EVENT_TYPES: [&str; 4] = ["message.created", "message.updated", "message.deleted", "mailbox.changed"];

/// The running dispatchers of this instance, and the worker's wake-up.
#[derive(Debug)]
pub struct Webhooks {
    dispatchers: Mutex<HashMap<String, Arc<Notify>>>,
    /// Wakes the delivery worker when something was queued.
    pub wake: Notify,
    /// This process's name on dispatch leases.
    pub instance: String,
}

impl Default for Webhooks {
    fn default() -> Self {
        Self {
            dispatchers: Mutex::default(),
            wake: Notify::new(),
            instance: format!("gw_{}", uuid::Uuid::new_v4().simple()),
        }
    }
}

impl Webhooks {
    /// Makes sure `account` has a dispatcher that knows its current webhooks.
    pub async fn ensure(&self, app: &AppState, account: &str) {
        let mut running = self.dispatchers.lock().await;
        if let Some(changed) = running.get(account) {
            changed.notify_one();
            return;
        }
        let changed = Arc::new(Notify::new());
        running.insert(account.to_string(), changed.clone());
        dispatch::spawn(app.clone(), account.to_string(), changed);
    }

    /// Called by a dispatcher that found no webhooks: true if it may end. The check is
    /// repeated under the registry lock so that a webhook added meanwhile is never orphaned.
    pub(crate) async fn retire(&self, app: &AppState, account: &str, changed: &Arc<Notify>) -> bool {
        let mut running = self.dispatchers.lock().await;
        if !matches!(app.store.webhooks(account).await, Ok(hooks) if hooks.is_empty()) {
            return false;
        }
        if running.get(account).is_some_and(|n| Arc::ptr_eq(n, changed)) {
            running.remove(account);
        }
        true
    }

    /// Starts dispatchers for every account with webhooks, and the delivery worker.
    pub async fn start(app: &AppState) {
        match app.store.webhook_accounts().await {
            Ok(accounts) => {
                for account in accounts {
                    app.webhooks.ensure(app, &account).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot load webhooks"),
        }
        deliver::spawn_worker(app.clone());
    }
}
