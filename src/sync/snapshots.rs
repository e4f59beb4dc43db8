//! Scan snapshots: for servers without CONDSTORE, the UID and a FLAGS digest of every message
//! at the time a `sc1.` token was issued. Held in memory, bounded in count and size, and keyed
//! by account so that one account can never read another's. A lost snapshot (eviction,
//! restart, another instance) makes `/changes` answer 410 and the client resync.

use std::{
    collections::{HashMap, VecDeque},
    hash::{DefaultHasher, Hash, Hasher},
    sync::{Arc, Mutex},
};

/// A digest that never equals a real one: "flags unknown, report as updated".
pub const UNKNOWN: u64 = u64::MAX;

/// At most this many snapshots are kept.
const MAX_SNAPSHOTS: usize = 1024;
/// At most this many (UID, digest) entries are kept across all snapshots.
const MAX_ENTRIES: usize = 4_000_000;

/// The messages of a mailbox at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// UIDs at or above this were not yet assigned when the snapshot was taken.
    pub uid_next: u32,
    /// (UID, FLAGS digest), sorted by UID.
    pub entries: Vec<(u32, u64)>,
}

/// A digest of a FLAGS list that ignores order, case and `\Recent`.
pub fn digest<S: AsRef<str>>(flags: &[S]) -> u64 {
    let mut names: Vec<String> =
        flags.iter().map(|f| f.as_ref().to_ascii_lowercase()).filter(|f| f != "\\recent").collect();
    names.sort_unstable();
    names.dedup();
    let mut h = DefaultHasher::new();
    names.hash(&mut h);
    h.finish().min(UNKNOWN - 1)
}

type Key = (String, String, u64);

#[derive(Default)]
struct Inner {
    map: HashMap<Key, Arc<Snapshot>>,
    order: VecDeque<Key>,
    entries: usize,
}

/// The store.
#[derive(Default)]
pub struct Snapshots {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Snapshots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshots").field("len", &self.len()).finish()
    }
}

impl Snapshots {
    /// Keeps `snap` for (account, mailbox) and returns its id. Evicts the oldest when full.
    pub fn insert(&self, account: &str, mailbox: &str, snap: Snapshot) -> u64 {
        let id = crate::random::random_id();
        let size = snap.entries.len();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        while !inner.order.is_empty() && (inner.order.len() >= MAX_SNAPSHOTS || inner.entries + size > MAX_ENTRIES) {
            if let Some(old) = inner.order.pop_front().and_then(|k| inner.map.remove(&k)) {
                inner.entries -= old.entries.len();
            }
        }
        let key = (account.to_string(), mailbox.to_string(), id);
        inner.entries += size;
        inner.order.push_back(key.clone());
        inner.map.insert(key, Arc::new(snap));
        id
    }

    /// The snapshot `id` of (account, mailbox), if it is still held.
    pub fn get(&self, account: &str, mailbox: &str, id: u64) -> Option<Arc<Snapshot>> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.map.get(&(account.to_string(), mailbox.to_string(), id)).cloned()
    }

    /// Number of snapshots held.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).map.len()
    }

    /// True when no snapshot is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_are_per_account_and_bounded() {
        let store = Snapshots::default();
        let snap = Snapshot { uid_validity: 1, uid_next: 3, entries: vec![(1, 5), (2, 6)] };
        let id = store.insert("alice", "INBOX", snap.clone());
        assert_eq!(store.get("alice", "INBOX", id).as_deref(), Some(&snap));
        assert_eq!(store.get("bob", "INBOX", id), None);
        assert_eq!(store.get("alice", "Sent", id), None);
        for _ in 0..MAX_SNAPSHOTS {
            store.insert("alice", "INBOX", snap.clone());
        }
        assert_eq!(store.len(), MAX_SNAPSHOTS);
        assert_eq!(store.get("alice", "INBOX", id), None, "the oldest is evicted first");
    }

    #[test]
    fn digest_ignores_order_case_and_recent() {
        assert_eq!(digest(&["\\Seen", "$Label"]), digest(&["$label", "\\SEEN", "\\Recent"]));
        assert_ne!(digest(&["\\Seen"]), digest(&["\\Seen", "\\Flagged"]));
        assert_ne!(digest::<&str>(&[]), UNKNOWN);
    }
}
