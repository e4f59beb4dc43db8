//! Per-account concurrent-request slots: an in-process semaphore per account, the fast first
//! check on every backend; on PostgreSQL also a lease row in the database (`store::leases`), so
//! that the limit holds across every instance. Should the database fail, the in-process limit
//! alone applies.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore},
    task::JoinHandle,
};

use crate::store::{Store, StoreError};

/// How long a lease outlives the request deadline, so that only a dead instance's leases
/// lapse (and clocks a few seconds apart do not matter).
pub const LEASE_MARGIN: Duration = Duration::from_secs(15);

/// The slots of every account.
#[derive(Debug)]
pub struct AccountSlots {
    limit: usize,
    local: dashmap::DashMap<String, Arc<Semaphore>>,
    store: Store,
    shared: AtomicBool,
    lease_ttl_ms: i64,
}

/// One held slot; dropping it frees the slot (the lease is deleted by a spawned task).
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    _lease: Option<Lease>,
}

/// A lease row of one account, deleted on drop.
#[derive(Debug)]
struct Lease {
    store: Store,
    account: String,
    id: String,
}

impl Lease {
    fn release_later(store: Store, account: String, id: String, taken: Option<JoinHandle<Result<bool, StoreError>>>) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        rt.spawn(async move {
            // Still being taken: wait for the outcome, there is nothing to release unless it was.
            if let Some(task) = taken
                && !matches!(task.await, Ok(Ok(true)))
            {
                return;
            }
            if let Err(e) = store.release_account_lease(&account, &id).await {
                tracing::warn!(error = %e, "cannot release a request lease; it lapses by itself");
            }
        });
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let (account, id) = (std::mem::take(&mut self.account), std::mem::take(&mut self.id));
        Self::release_later(self.store.clone(), account, id, None);
    }
}

/// A lease being taken by its own task, so that a request dropped meanwhile (deadline, client
/// gone) leaves no lease behind: dropped before the outcome, it releases what the task took.
struct Pending {
    task: Option<JoinHandle<Result<bool, StoreError>>>,
    lease: Option<(Store, String, String)>,
}

impl Pending {
    /// Whether the lease was taken, and the lease (to hold only if it was).
    async fn outcome(mut self) -> (Result<bool, String>, (Store, String, String)) {
        let task = self.task.as_mut().expect("set until the outcome");
        let outcome = match task.await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        self.task = None;
        (outcome, self.lease.take().expect("set until the outcome"))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let (Some(task), Some((store, account, id))) = (self.task.take(), self.lease.take()) {
            Lease::release_later(store, account, id, Some(task));
        }
    }
}

impl AccountSlots {
    /// `limit` requests per account at once; in the database too if `store` is shared by
    /// several instances (PostgreSQL). A lease lapses `request_timeout` + [`LEASE_MARGIN`]
    /// after it was taken.
    pub fn new(store: &Store, limit: usize, request_timeout: Duration) -> Self {
        Self::with_lease_ttl(store, limit, request_timeout + LEASE_MARGIN, store.shared())
    }

    /// [`Self::new`] with the lease lifetime given, and the database used whatever it is
    /// when `shared` (tests).
    pub fn with_lease_ttl(store: &Store, limit: usize, lease_ttl: Duration, shared: bool) -> Self {
        Self {
            limit: limit.max(1),
            local: Default::default(),
            store: store.clone(),
            shared: AtomicBool::new(shared),
            lease_ttl_ms: i64::try_from(lease_ttl.as_millis()).unwrap_or(i64::MAX / 2),
        }
    }

    /// The most requests one account may run at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Turns the database leases on or off (the latency measurement compares both).
    #[doc(hidden)]
    pub fn set_shared(&self, shared: bool) {
        self.shared.store(shared, Ordering::Relaxed);
    }

    /// A slot of `account`, or `None` if it has `limit` requests running: on this instance,
    /// or (on a shared database) on all instances together.
    pub async fn acquire(&self, account: &str) -> Option<Slot> {
        let local =
            self.local.entry(account.to_string()).or_insert_with(|| Arc::new(Semaphore::new(self.limit))).clone();
        let permit = local.try_acquire_owned().ok()?;
        if !self.shared.load(Ordering::Relaxed) {
            return Some(Slot { _permit: permit, _lease: None });
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let now = crate::store::now_ms();
        let (expires, limit) = (now.saturating_add(self.lease_ttl_ms), i64::try_from(self.limit).unwrap_or(i64::MAX));
        let (store, owner, lease) = (self.store.clone(), account.to_string(), id.clone());
        let task = tokio::spawn(async move { store.acquire_account_lease(&owner, &lease, now, expires, limit).await });
        let pending = Pending { task: Some(task), lease: Some((self.store.clone(), account.to_string(), id)) };
        match pending.outcome().await {
            (Ok(true), (store, account, id)) => {
                Some(Slot { _permit: permit, _lease: Some(Lease { store, account, id }) })
            }
            (Ok(false), _) => None,
            (Err(e), _) => {
                tracing::warn!(error = %e, "shared request slots unavailable; counting in memory");
                Some(Slot { _permit: permit, _lease: None })
            }
        }
    }
}
