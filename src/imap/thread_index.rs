//! Which thread each message of a mailbox belongs to, kept per (account, mailbox,
//! UIDVALIDITY): a message's thread never changes (it comes from its own header), so a
//! collapsed page fetches the thread keys of new messages only. Bounded by the number of UIDs
//! held; the mailbox used longest ago goes first.

use std::{
    collections::HashMap,
    hash::{DefaultHasher, Hash, Hasher},
    sync::Mutex,
};

/// UIDs held in all, over every account (about 40 bytes each).
pub const THREAD_INDEX_UIDS: usize = 1_000_000;

/// A thread as a number: the hash of its thread id (equal ids, equal keys).
pub fn key_of(thread_id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    thread_id.hash(&mut h);
    h.finish()
}

type MailboxKey = (String, String, u32);

#[derive(Default)]
struct Inner {
    maps: HashMap<MailboxKey, (HashMap<u32, u64>, u64)>,
    held: usize,
    tick: u64,
}

/// The thread keys of messages, per mailbox.
pub struct ThreadIndex {
    inner: Mutex<Inner>,
    max_uids: usize,
}

impl std::fmt::Debug for ThreadIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.inner.lock().map(|i| i.held).unwrap_or_default();
        f.debug_struct("ThreadIndex").field("held", &held).finish()
    }
}

impl Default for ThreadIndex {
    fn default() -> Self {
        Self::bounded(THREAD_INDEX_UIDS)
    }
}

impl ThreadIndex {
    /// An index holding at most `max_uids` UIDs.
    pub fn bounded(max_uids: usize) -> Self {
        Self { inner: Mutex::new(Inner::default()), max_uids }
    }

    /// The keys known of `uids`, and the UIDs not known; forgets UIDs no longer listed.
    pub fn lookup(&self, mailbox: &MailboxKey, uids: &[u32]) -> (HashMap<u32, u64>, Vec<u32>) {
        let Ok(mut inner) = self.inner.lock() else { return (HashMap::new(), uids.to_vec()) };
        inner.tick += 1;
        let tick = inner.tick;
        let Some((map, used)) = inner.maps.get_mut(mailbox) else { return (HashMap::new(), uids.to_vec()) };
        *used = tick;
        let (mut known, mut missing) = (HashMap::with_capacity(uids.len()), Vec::new());
        for &uid in uids {
            match map.get(&uid) {
                Some(&k) => {
                    known.insert(uid, k);
                }
                None => missing.push(uid),
            }
        }
        let before = map.len();
        if before > known.len() {
            map.retain(|uid, _| known.contains_key(uid));
            let gone = before - map.len();
            inner.held -= gone;
        }
        (known, missing)
    }

    /// Adds keys for a mailbox, dropping the mailboxes used longest ago past the bound.
    pub fn insert(&self, mailbox: &MailboxKey, keys: &HashMap<u32, u64>) {
        let Ok(mut inner) = self.inner.lock() else { return };
        if keys.len() > self.max_uids {
            return;
        }
        inner.tick += 1;
        let tick = inner.tick;
        let entry = inner.maps.entry(mailbox.clone()).or_default();
        let before = entry.0.len();
        entry.0.extend(keys.iter().map(|(u, k)| (*u, *k)));
        entry.1 = tick;
        let added = entry.0.len() - before;
        inner.held += added;
        while inner.held > self.max_uids {
            let Some(oldest) = inner.maps.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some((map, _)) = inner.maps.remove(&oldest) {
                inner.held -= map.len();
            }
        }
    }

    /// Forgets an account's mailboxes.
    pub fn forget_account(&self, account: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            let gone: usize = inner.maps.iter().filter(|(k, _)| k.0 == account).map(|(_, (m, _))| m.len()).sum();
            inner.maps.retain(|k, _| k.0 != account);
            inner.held -= gone;
        }
    }

    /// UIDs held.
    pub fn held(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(account: &str, name: &str) -> MailboxKey {
        (account.into(), name.into(), 1)
    }

    #[test]
    fn lookups_split_known_from_new_and_forget_expunged_uids() {
        let index = ThreadIndex::bounded(100);
        let m = mailbox("a", "INBOX");
        index.insert(&m, &HashMap::from([(1, 10), (2, 20), (3, 10)]));
        let (known, missing) = index.lookup(&m, &[1, 3, 4]);
        assert_eq!(known, HashMap::from([(1, 10), (3, 10)]));
        assert_eq!(missing, vec![4]);
        assert_eq!(index.held(), 2, "UID 2 is gone from the mailbox");
        assert_eq!(index.lookup(&mailbox("a", "Sent"), &[1]).1, vec![1]);
    }

    #[test]
    fn the_mailbox_used_longest_ago_goes_past_the_bound() {
        let index = ThreadIndex::bounded(4);
        let (a, b, c) = (mailbox("a", "A"), mailbox("a", "B"), mailbox("b", "C"));
        index.insert(&a, &HashMap::from([(1, 1), (2, 2)]));
        index.insert(&b, &HashMap::from([(1, 1), (2, 2)]));
        index.lookup(&a, &[1, 2]);
        index.insert(&c, &HashMap::from([(1, 1)]));
        assert_eq!(index.lookup(&b, &[1]).1, vec![1], "B went");
        assert_eq!(index.lookup(&a, &[1, 2]).0.len(), 2, "A stays");
        index.forget_account("a");
        assert_eq!(index.held(), 1);
        assert_eq!(key_of("Tabc"), key_of("Tabc"));
        assert_ne!(key_of("Tabc"), key_of("Tabd"));
    }
}
