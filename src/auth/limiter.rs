//! Login brute-force protection: failed logins are counted per client IP and per username in
//! a sliding window; past the limit, logins answer 429 with `Retry-After` before any IMAP
//! login is attempted. On PostgreSQL the counts are in the database, shared by every instance
//! (`store::limits`); on SQLite (one instance) in memory, bounded in size. Should the database
//! fail, the check falls back to this instance's memory.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::store::Store;

/// The sliding window failed logins are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Most distinct keys tracked; the oldest are forgotten first.
const MAX_KEYS: usize = 100_000;

/// The limiter: in the database when it is shared, else in memory.
#[derive(Debug)]
pub struct LoginLimiter {
    local: Local,
    shared: Option<Store>,
}

/// One counted attempt, to give back with [`LoginLimiter::release`] or
/// [`LoginLimiter::succeed`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Counted in this instance's memory.
    Local(Instant),
    /// Counted in the database under this id.
    Shared(String),
}

impl LoginLimiter {
    /// At most `limit` failures per key in `window`, counted in the database if `store` is
    /// shared by several instances (PostgreSQL), else in memory.
    pub fn new(store: &Store, limit: usize, window: Duration) -> Self {
        Self { local: Local::new(limit, window), shared: store.shared().then(|| store.clone()) }
    }

    /// Counted in memory only.
    pub fn in_memory(limit: usize, window: Duration) -> Self {
        Self { local: Local::new(limit, window), shared: None }
    }

    /// Counted in `store`, whichever database it is (tests use it on SQLite too).
    pub fn in_store(store: &Store, limit: usize, window: Duration) -> Self {
        Self { local: Local::new(limit, window), shared: Some(store.clone()) }
    }

    /// `Err(seconds to wait)` if any of `keys` is over the limit; otherwise the attempt counts
    /// from now on, atomically with the check (see [`Local::check`]).
    pub async fn check(&self, keys: &[String]) -> Result<Mark, u64> {
        if let Some(store) = &self.shared {
            let hashed: Vec<String> = keys.iter().map(|k| super::tokens::hash(k)).collect();
            let mark = uuid::Uuid::new_v4().simple().to_string();
            let (limit, window) = (self.local.limit as i64, self.local.window.as_millis() as i64);
            match store.check_login_attempt(&hashed, &mark, crate::store::now_ms(), window, limit).await {
                Ok(None) => return Ok(Mark::Shared(mark)),
                Ok(Some(wait_ms)) => return Err((wait_ms / 1000).max(1) as u64),
                Err(e) => tracing::warn!(error = %e, "shared login limiter unavailable; counting in memory"),
            }
        }
        self.local.check(keys).map(Mark::Local)
    }

    /// An attempt that did not fail on the password (the server was down): it no longer counts.
    pub async fn release(&self, mark: Mark, keys: &[String]) {
        match (mark, &self.shared) {
            (Mark::Local(t), _) => self.local.release(t, keys),
            (Mark::Shared(m), Some(store)) => {
                if let Err(e) = store.forget_login_attempt(&m, None).await {
                    tracing::warn!(error = %e, "cannot release a login attempt");
                }
            }
            (Mark::Shared(_), None) => {}
        }
    }

    /// A successful login: its own attempt no longer counts for the IP, and the username's
    /// failures are forgotten.
    pub async fn succeed(&self, mark: Mark, ip_key: &str, user_key: &str) {
        match (mark, &self.shared) {
            (Mark::Local(t), _) => self.local.succeed(t, ip_key, user_key),
            (Mark::Shared(m), Some(store)) => {
                if let Err(e) = store.forget_login_attempt(&m, Some(&super::tokens::hash(user_key))).await {
                    tracing::warn!(error = %e, "cannot forget a username's failed logins");
                }
            }
            (Mark::Shared(_), None) => {}
        }
    }
}

/// Failed logins in this instance's memory.
#[derive(Debug)]
pub struct Local {
    limit: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Local {
    /// At most `limit` failures per key in `window`.
    pub fn new(limit: usize, window: Duration) -> Self {
        Self { limit: limit.max(1), window, failures: Mutex::default() }
    }

    /// `Err(seconds to wait)` if any of `keys` is over the limit; otherwise the attempt is
    /// counted at once, under the lock, so that parallel attempts cannot all pass the check
    /// before any of them failed. Returns the attempt's mark for [`Self::succeed`].
    pub fn check(&self, keys: &[String]) -> Result<Instant, u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        for key in keys {
            if let Some(times) = map.get_mut(key) {
                while times.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
                    times.pop_front();
                }
                if times.len() >= self.limit {
                    let oldest = *times.front().expect("non-empty");
                    let secs = self.window.saturating_sub(now.duration_since(oldest)).as_secs().max(1);
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        if let Some(w) = wait {
            return Err(w);
        }
        Self::record(&mut map, keys, now, self.limit, self.window);
        Ok(now)
    }

    fn record(
        map: &mut HashMap<String, VecDeque<Instant>>,
        keys: &[String],
        now: Instant,
        limit: usize,
        window: Duration,
    ) {
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < window));
            if map.len() >= MAX_KEYS {
                // Still full of recent failures: forget everything rather than grow.
                map.clear();
            }
        }
        for key in keys {
            let times = map.entry(key.clone()).or_default();
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
    }

    /// An attempt that did not fail on the password (the server was down): it no longer counts.
    pub fn release(&self, mark: Instant, keys: &[String]) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for key in keys {
            if let Some(times) = map.get_mut(key)
                && let Some(i) = times.iter().position(|t| *t == mark)
            {
                times.remove(i);
            }
        }
    }

    /// A successful login: its own attempt no longer counts for the IP, and the username's
    /// failures are forgotten.
    pub fn succeed(&self, mark: Instant, ip_key: &str, user_key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = map.get_mut(ip_key)
            && let Some(i) = times.iter().position(|t| *t == mark)
        {
            times.remove(i);
        }
        map.remove(user_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_key_and_expires() {
        let l = Local::new(3, Duration::from_millis(200));
        let (ip, user) = ("ip:1.2.3.4".to_string(), "user:alice".to_string());
        for _ in 0..3 {
            assert!(l.check(&[ip.clone(), user.clone()]).is_ok(), "an attempt counts when it is checked");
        }
        assert_eq!(l.check(std::slice::from_ref(&user)), Err(1));
        assert_eq!(l.check(&["user:bob".to_string(), ip.clone()]), Err(1), "the IP is limited for any name");
        let mark = l.check(&["user:bob".to_string()]).expect("bob is fine");
        l.succeed(mark, "ip:5.6.7.8", "user:bob");
        std::thread::sleep(Duration::from_millis(220));
        assert!(l.check(&[ip]).is_ok(), "the window slid past");
        // A success gives its own IP attempt back.
        let other = "ip:9.9.9.9".to_string();
        for _ in 0..10 {
            let mark = l.check(&[other.clone(), "user:carol".to_string()]).expect("successes never accumulate");
            l.succeed(mark, &other, "user:carol");
        }
    }
}
