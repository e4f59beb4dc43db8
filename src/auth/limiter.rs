//! Login brute-force protection: failed logins are counted per client IP and per username in
//! a sliding window; past the limit, logins answer 429 with `Retry-After` before any IMAP
//! login is attempted. In memory, per instance, bounded in size.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

/// Most distinct keys tracked; the oldest are forgotten first.
const MAX_KEYS: usize = 100_000;

/// The limiter.
#[derive(Debug)]
pub struct LoginLimiter {
    limit: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
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
        let l = LoginLimiter::new(3, Duration::from_millis(200));
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
