//! Keyed registry of per-account deadpool pools with a global cap, health checks, the
//! in-flight discard rule and an idle reaper.

use std::{
    collections::BTreeSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use dashmap::DashMap;
use deadpool::managed::{self, Metrics, Object, PoolError, RecycleError, RecycleResult, Timeouts};
use tokio::sync::Semaphore;

use super::{
    connect::Target,
    error::ImapError,
    pool_stats::{OpenGuard, PoolStats},
    session::{Credentials, ImapConn},
};
use crate::config::PoolSettings;

/// How long an account's logins stay parked after the server refused its credentials, unless
/// the user logs in again first.
pub const PARK_FOR: Duration = Duration::from_secs(300);

/// deadpool manager for one account.
#[derive(Debug)]
pub struct Manager {
    target: Arc<Target>,
    creds: Credentials,
    global: Arc<Semaphore>,
    stats: Arc<PoolStats>,
    capabilities: Arc<Mutex<Arc<BTreeSet<String>>>>,
    health_after: Duration,
    /// Connections older than this are closed instead of reused.
    max_lifetime: Duration,
    /// Changes made through any of this account's connections (see `ImapConn::needs_sync`).
    writes: Arc<super::session::AccountChanges>,
}

impl managed::Manager for Manager {
    type Type = ImapConn;
    type Error = ImapError;

    async fn create(&self) -> Result<ImapConn, ImapError> {
        let permit = self.global.clone().try_acquire_owned().map_err(|_| ImapError::GlobalLimit)?;
        let mut conn = match ImapConn::login(&self.target, &self.creds, Some(permit)).await {
            Ok(c) => c,
            Err(e @ ImapError::AuthFailed(_)) => {
                // Park: no more logins with these credentials until the user logs in again
                // or PARK_FOR passes, however many requests arrive meanwhile.
                self.stats.refused_logins.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut p) = self.stats.parked_until.lock() {
                    *p = Some(std::time::Instant::now() + PARK_FOR);
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        self.stats.logins.fetch_add(1, Ordering::Relaxed);
        let open = self.stats.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.stats.peak_open.fetch_max(open, Ordering::SeqCst);
        conn.attach_guard(OpenGuard(self.stats.clone()));
        conn.attach_writes(self.writes.clone());
        if let Ok(mut caps) = self.capabilities.lock() {
            *caps = conn.capabilities().clone();
        }
        Ok(conn)
    }

    async fn recycle(&self, conn: &mut ImapConn, metrics: &Metrics) -> RecycleResult<ImapError> {
        if conn.is_in_flight() {
            self.stats.discarded_in_flight.fetch_add(1, Ordering::Relaxed);
            self.target.metrics.inc("imap_connections_discarded_total", &[("reason", "in_flight")]);
            return Err(RecycleError::message("a command did not complete"));
        }
        if metrics.age() > self.max_lifetime {
            self.target.metrics.inc("imap_connections_discarded_total", &[("reason", "lifetime")]);
            return Err(RecycleError::message("the connection reached its maximum lifetime"));
        }
        conn.drain_unsolicited();
        if metrics.last_used() > self.health_after
            && let Err(e) = conn.check_alive(Duration::from_secs(5)).await
        {
            self.stats.discarded_unhealthy.fetch_add(1, Ordering::Relaxed);
            self.target.metrics.inc("imap_connections_discarded_total", &[("reason", "unhealthy")]);
            return Err(RecycleError::Backend(e));
        }
        Ok(())
    }
}

/// A checked-out connection; dropping it returns it to the pool (or discards it).
pub type Pooled = Object<Manager>;

/// One account's pool and what is known about it.
#[derive(Debug)]
pub struct AccountPool {
    pool: managed::Pool<Manager>,
    /// Credential version the pool logs in with; a new password gives a new pool.
    pub credential_version: i64,
    /// Counters.
    pub stats: Arc<PoolStats>,
    capabilities: Arc<Mutex<Arc<BTreeSet<String>>>>,
    /// When the credential expires (unix seconds; 0: never), for OAuth2 access tokens.
    pub expires_at: AtomicI64,
}

impl AccountPool {
    /// Checks out a connection, waiting at most the configured time. A parked account fails at
    /// once, without contacting the server.
    pub async fn get(&self) -> Result<Pooled, ImapError> {
        if self.parked() {
            return Err(ImapError::AuthFailed(super::error::server_reply(
                "LOGIN",
                "NO",
                None,
                "the server refused the stored credentials; log in again",
            )));
        }
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => e,
            PoolError::Timeout(managed::TimeoutType::Wait) => ImapError::PoolBusy,
            PoolError::Timeout(_) => ImapError::Timeout(super::error::Phase::Login),
            // Replaced or closed (logout, password change) while this request waited.
            PoolError::Closed => ImapError::PoolBusy,
            other => ImapError::Protocol(other.to_string()),
        })
    }

    /// True while logins are parked after a refused login.
    pub fn parked(&self) -> bool {
        self.stats.parked_until.lock().is_ok_and(|p| p.is_some_and(|t| t > std::time::Instant::now()))
    }

    /// Lifts the park (the user proved the credentials again).
    pub fn unpark(&self) {
        if let Ok(mut p) = self.stats.parked_until.lock() {
            *p = None;
        }
    }

    /// Capabilities seen on the most recent login (empty before the first).
    pub fn capabilities(&self) -> Arc<BTreeSet<String>> {
        self.capabilities.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Drops every idle connection (after a connection failure they are likely dead too).
    pub fn drop_idle(&self) -> Vec<ImapConn> {
        self.pool.retain(|_, _| false).removed
    }

    /// Current deadpool status.
    pub fn status(&self) -> deadpool::Status {
        self.pool.status()
    }
}

/// The registry: account id → pool.
#[derive(Debug)]
pub struct Pools {
    target: Arc<Target>,
    settings: PoolSettings,
    global: Arc<Semaphore>,
    accounts: DashMap<String, Arc<AccountPool>>,
    /// Immutable parts of message summaries, for every account.
    pub summaries: super::cache::SummaryCache,
    /// Full messages with the body values of one limit (never flags), for every account.
    pub messages: super::cache::MessageCache,
    /// The thread of every message of the mailboxes pages were collapsed in.
    pub threads: super::thread_index::ThreadIndex,
}

impl<'a> super::cache::CacheScope<'a> {
    /// The scope of `account` in `pools`' caches.
    pub fn of(pools: &'a Pools, account: &'a str) -> Self {
        Self { summaries: &pools.summaries, messages: &pools.messages, threads: &pools.threads, account }
    }
}

impl Pools {
    /// The IMAP server connections go to (for connections outside the pools).
    pub fn target(&self) -> Arc<Target> {
        self.target.clone()
    }

    /// An empty registry.
    pub fn new(target: Target, settings: PoolSettings) -> Self {
        Self {
            target: Arc::new(target),
            global: Arc::new(Semaphore::new(settings.global_max)),
            summaries: super::cache::SummaryCache::bounded(
                settings.summary_cache_entries,
                settings.summary_cache_bytes,
            ),
            messages: super::cache::MessageCache::bounded(settings.message_cache_entries, settings.message_cache_bytes),
            threads: super::thread_index::ThreadIndex::default(),
            settings,
            accounts: DashMap::new(),
        }
    }

    /// Proves credentials with a connection outside any pool (it still counts against the
    /// global cap while it lives).
    pub async fn probe_login(&self, creds: &Credentials) -> Result<ImapConn, ImapError> {
        let permit = self.global.clone().try_acquire_owned().map_err(|_| ImapError::GlobalLimit)?;
        ImapConn::login(&self.target, creds, Some(permit)).await
    }

    /// The pool of `account` if one exists with at least `min_version`.
    pub fn existing(&self, account: &str, min_version: i64) -> Option<Arc<AccountPool>> {
        self.accounts.get(account).filter(|p| p.credential_version >= min_version).map(|p| p.clone())
    }

    /// Installs a pool for `account` logging in with `creds`, replacing (and draining) an
    /// older one. An existing pool of the same version is kept. `expires_at` is when an OAuth2
    /// access token expires (unix seconds; 0 for a password), set before the pool is shared.
    pub fn install(&self, account: &str, version: i64, creds: Credentials, expires_at: i64) -> Arc<AccountPool> {
        let stats = Arc::new(PoolStats::default());
        let capabilities = Arc::new(Mutex::new(Arc::default()));
        let manager = Manager {
            target: self.target.clone(),
            creds,
            global: self.global.clone(),
            stats: stats.clone(),
            capabilities: capabilities.clone(),
            health_after: Duration::from_secs(self.settings.health_check_after_secs),
            max_lifetime: Duration::from_secs(self.settings.max_connection_lifetime_secs.max(1)),
            writes: Arc::default(),
        };
        let timeouts = Timeouts {
            wait: Some(Duration::from_millis(self.settings.wait_timeout_ms)),
            create: None, // every phase of create has its own deadline
            recycle: Some(Duration::from_secs(10)),
        };
        let pool = managed::Pool::builder(manager)
            .max_size(self.settings.per_account_max)
            .timeouts(timeouts)
            // The most recently used connection first: it most likely still has the mailbox
            // selected that the next request reads (`selection`), and the rest can idle out.
            .queue_mode(managed::QueueMode::Lifo)
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .expect("runtime and sizes are set");
        let fresh = Arc::new(AccountPool {
            pool,
            credential_version: version,
            stats,
            capabilities,
            expires_at: AtomicI64::new(expires_at),
        });
        let mut old = None;
        let installed = self
            .accounts
            .entry(account.to_string())
            .and_modify(|p| {
                if p.credential_version < version {
                    old = Some(std::mem::replace(p, fresh.clone()));
                }
            })
            .or_insert_with(|| fresh.clone())
            .clone();
        if let Some(old) = old {
            tokio::spawn(close_pool(old));
        }
        if expires_at != 0 {
            // A pool kept from before takes the expiry of the credential just read.
            installed.expires_at.store(expires_at, Ordering::Relaxed);
        }
        installed
    }

    /// Removes an account's pool and LOGOUTs its idle connections (logout, revocation).
    pub async fn close_account(&self, account: &str) {
        if let Some((_, pool)) = self.accounts.remove(account) {
            close_pool(pool).await;
        }
    }

    /// Closes every pool (shutdown).
    pub async fn close_all(&self) {
        let keys: Vec<String> = self.accounts.iter().map(|e| e.key().clone()).collect();
        for key in keys {
            self.close_account(&key).await;
        }
    }

    /// One reaper pass: LOGOUT connections idle too long, forget empty pools (not parked ones).
    pub async fn reap(&self) {
        let idle = Duration::from_secs(self.settings.idle_timeout_secs);
        let mut goodbye = Vec::new();
        self.accounts.retain(|_, pool| {
            goodbye.extend(pool.pool.retain(|_, m| m.last_used() < idle).removed);
            let s = pool.pool.status();
            // A request may hold the Arc between lookup and checkout: keep the pool then, or
            // that request would open connections in a pool nobody can close. A parked pool is
            // kept until its park ends, or the next request would log in again at once.
            s.size > 0 || s.waiting > 0 || Arc::strong_count(pool) > 1 || pool.parked()
        });
        for conn in goodbye {
            self.target.metrics.inc("imap_connections_discarded_total", &[("reason", "idle_timeout")]);
            conn.logout().await;
        }
    }

    /// Runs [`Pools::reap`] every `reap_interval_secs` until the registry is dropped.
    pub fn spawn_reaper(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let every = Duration::from_secs(self.settings.reap_interval_secs.max(1));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(pools) = weak.upgrade() else { break };
                pools.reap().await;
            }
        });
    }

    /// Connections open, in use, and requests waiting, over all accounts.
    pub fn totals(&self) -> (u64, u64, u64) {
        self.accounts.iter().fold((0, 0, 0), |(open, used, waiting), p| {
            let s = p.pool.status();
            let in_use = s.size.saturating_sub(s.available);
            (open + p.stats.open.load(Ordering::SeqCst) as u64, used + in_use as u64, waiting + s.waiting as u64)
        })
    }

    /// Number of accounts with a pool.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }
}

async fn close_pool(pool: Arc<AccountPool>) {
    // Take the idle connections out first: `close` would drop them without a LOGOUT.
    let idle = pool.pool.retain(|_, _| false).removed;
    pool.pool.close();
    for conn in idle {
        conn.logout().await;
    }
}
