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

    /// `Err(seconds to wait)` if any of `keys` is over the limit.
    pub fn check(&self, keys: &[String]) -> Result<(), u64> {
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
        wait.map_or(Ok(()), Err)
    }

    /// Records a failure for each of `keys`.
    pub fn fail(&self, keys: &[String]) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            let window = self.window;
            map.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        for key in keys {
            let times = map.entry(key.clone()).or_default();
            times.push_back(now);
            while times.len() > self.limit {
                times.pop_front();
            }
        }
    }

    /// Forgets the username's failures after a successful login (the IP's stay).
    pub fn succeed(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
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
            assert_eq!(l.check(&[ip.clone(), user.clone()]), Ok(()));
            l.fail(&[ip.clone(), user.clone()]);
        }
        assert_eq!(l.check(std::slice::from_ref(&user)), Err(1));
        assert_eq!(l.check(&["user:bob".to_string(), ip.clone()]), Err(1), "the IP is limited for any name");
        assert_eq!(l.check(&["user:bob".to_string()]), Ok(()));
        l.succeed(&user);
        assert_eq!(l.check(std::slice::from_ref(&user)), Ok(()));
        std::thread::sleep(Duration::from_millis(220));
        assert_eq!(l.check(&[ip]), Ok(()), "the window slid past");
    }
}
