//! Remembers for a moment which access tokens were found not revoked, so that a burst of
//! requests with one token costs one database round trip per second, not one each. A
//! revocation made by this process takes effect at once (the cache forgets the token or
//! family); one made by another instance is seen within [`RECHECK`].

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use dashmap::DashMap;

/// How long a "not revoked" answer is trusted.
pub const RECHECK: Duration = Duration::from_secs(1);
/// Most remembered tokens; past it the cache starts over.
const MAX_ENTRIES: usize = 100_000;

/// jti → (its family id, when the database last said "not revoked").
#[derive(Debug, Default)]
pub struct RevocationCache {
    checked: DashMap<String, (String, Instant)>,
    /// Bumped by every local revocation, so that a check that raced one is not remembered.
    epoch: AtomicU64,
}

impl RevocationCache {
    /// True if (jti, family) was found not revoked less than [`RECHECK`] ago.
    pub fn known_good(&self, jti: &str, family: &str) -> bool {
        self.checked.get(jti).is_some_and(|e| e.0 == family && e.1.elapsed() < RECHECK)
    }

    /// The revocation count, to read before asking the database.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Records a "not revoked" answer read when the count was `epoch`; an answer that a local
    /// revocation may have overtaken meanwhile is not kept.
    pub fn good(&self, jti: &str, family: &str, epoch: u64) {
        if self.epoch() != epoch {
            return;
        }
        if self.checked.len() >= MAX_ENTRIES {
            self.checked.clear();
        }
        self.checked.insert(jti.to_string(), (family.to_string(), Instant::now()));
    }

    /// Forgets a revoked access token.
    pub fn revoke_jti(&self, jti: &str) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.checked.remove(jti);
    }

    /// Forgets every token of a revoked family.
    pub fn revoke_family(&self, family: &str) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.checked.retain(|_, (f, _)| f != family);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_answers_are_kept_briefly_and_local_revocations_forget_them() {
        let c = RevocationCache::default();
        assert!(!c.known_good("j1", "f1"));
        c.good("j1", "f1", c.epoch());
        c.good("j2", "f1", c.epoch());
        c.good("j3", "f2", c.epoch());
        assert!(c.known_good("j1", "f1"));
        c.revoke_jti("j1");
        assert!(!c.known_good("j1", "f1") && c.known_good("j2", "f1"));
        c.revoke_family("f1");
        assert!(!c.known_good("j2", "f1") && c.known_good("j3", "f2"));
        // A check that started before a revocation is not remembered.
        let before = c.epoch();
        c.revoke_jti("j9");
        c.good("j4", "f3", before);
        assert!(!c.known_good("j4", "f3"));
    }
}
