//! Jittered exponential backoff for reaching the upstream server: after a connection attempt
//! fails, no new attempt starts until a random pause has passed, so a server that restarts
//! under load sees a trickle of new connections and logins, not a storm.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

/// The first pause after a failure (before jitter).
pub const BASE: Duration = Duration::from_millis(100);
/// The longest pause (before jitter): service resumes at most this long after the server does.
pub const CAP: Duration = Duration::from_millis(1600);

#[derive(Debug, Default)]
struct State {
    failures: u32,
    until: Option<Instant>,
}

/// Shared by every connection attempt to one server.
#[derive(Debug, Default)]
pub struct Backoff {
    state: Mutex<State>,
}

/// A fraction in [0.5, 1.0) from the system's random source ("equal jitter").
fn jitter() -> f64 {
    0.5 + (crate::random::random_id() % 65_536) as f64 / 131_072.0
}

/// The pause after `failures` failures in a row, before jitter.
pub fn pause(failures: u32) -> Duration {
    let doubled = BASE.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    doubled.min(CAP)
}

impl Backoff {
    /// `Err(remaining)` while a pause is running: the caller must not connect.
    pub fn check(&self) -> Result<(), Duration> {
        let Ok(s) = self.state.lock() else { return Ok(()) };
        match s.until {
            Some(t) if t > Instant::now() => Err(t - Instant::now()),
            _ => Ok(()),
        }
    }

    /// Records a failed attempt and starts the next pause.
    pub fn failed(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.failures = s.failures.saturating_add(1);
            let wait = pause(s.failures).mul_f64(jitter());
            s.until = Some(Instant::now() + wait);
        }
    }

    /// Records a successful attempt: the next failure starts again from [`BASE`].
    pub fn succeeded(&self) {
        if let Ok(mut s) = self.state.lock() {
            *s = State::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_cap() {
        assert_eq!(pause(1), BASE);
        assert_eq!(pause(2), BASE * 2);
        assert_eq!(pause(4), BASE * 8);
        assert_eq!(pause(5), CAP);
        assert_eq!(pause(40), CAP);
    }

    #[test]
    fn a_failure_blocks_attempts_for_a_jittered_pause_and_success_clears_it() {
        let b = Backoff::default();
        assert!(b.check().is_ok());
        b.failed();
        let remaining = b.check().expect_err("paused");
        assert!(remaining <= BASE && remaining >= BASE / 3, "{remaining:?}");
        b.succeeded();
        assert!(b.check().is_ok());
    }

    #[test]
    fn jitter_spreads_pauses() {
        let seen: std::collections::BTreeSet<u64> = (0..50).map(|_| (jitter() * 1000.0) as u64).collect();
        assert!(seen.len() > 10, "{seen:?}");
        assert!(seen.iter().all(|&j| (500..1000).contains(&j)), "{seen:?}");
    }
}
