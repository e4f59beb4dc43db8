//! Which thread each message of a mailbox belongs to, kept per (account, mailbox,
//! UIDVALIDITY): a message's thread never changes (it comes from its own header), so a
//! collapsed page fetches the thread keys of new messages only. With them, the mailbox's last
//! [`MailboxThreads`] and the STATUS it was made at. Bounded by the number of UIDs held; the
//! mailbox used longest ago goes first.

use std::{
    collections::{HashMap, HashSet},
    hash::{DefaultHasher, Hash, Hasher},
    sync::{Arc, Mutex},
};

use crate::views::message::MessageSummary;

/// UIDs held in all, over every account (about 40 bytes each).
pub const THREAD_INDEX_UIDS: usize = 1_000_000;

/// A thread as a number: the hash of its thread id (equal ids, equal keys).
pub fn key_of(thread_id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    thread_id.hash(&mut h);
    h.finish()
}

/// The key of a message without a root, a thread of its own: one no thread id hashes to.
pub fn lone_key(uid: u32) -> u64 {
    key_of(&format!("uid {uid}"))
}

type MailboxKey = (String, String, u32);

/// A mailbox's STATUS (messages, UIDNEXT, unseen, HIGHESTMODSEQ) when its threads were found.
pub type Fingerprint = [u64; 4];

#[derive(Clone, Copy, Debug, Default)]
struct Group {
    size: u32,
    unread: u32,
}

/// Every message's thread in a mailbox, each thread's size and unread count there, and the
/// UIDs newest first.
#[derive(Debug, Default)]
pub struct MailboxThreads {
    keys: HashMap<u32, u64>,
    groups: HashMap<u64, Group>,
    newest_first: Vec<u32>,
}

impl MailboxThreads {
    /// The threads of `all` UIDs from their keys (a UID without one is a thread of its own).
    pub fn new(keys: HashMap<u32, u64>, mut all: Vec<u32>, unseen: &HashSet<u32>) -> Self {
        let mut threads = Self { keys, groups: HashMap::new(), newest_first: Vec::new() };
        for &uid in &all {
            let key = threads.key(uid);
            let g = threads.groups.entry(key).or_default();
            g.size += 1;
            g.unread += u32::from(unseen.contains(&uid));
        }
        all.sort_unstable_by(|a, b| b.cmp(a));
        threads.newest_first = all;
        threads
    }

    /// The thread key of `uid`; a message without ids is a thread of its own (a key no
    /// thread id hashes to).
    fn key(&self, uid: u32) -> u64 {
        self.keys.get(&uid).copied().unwrap_or_else(|| lone_key(uid))
    }

    /// Every UID of the mailbox, newest first.
    pub fn newest_first(&self) -> &[u32] {
        &self.newest_first
    }

    /// Threads in the mailbox.
    pub fn count(&self) -> u32 {
        u32::try_from(self.groups.len()).unwrap_or(u32::MAX)
    }

    /// The first UID of each thread in `uids`, in their order.
    pub fn collapse(&self, uids: &[u32]) -> Vec<u32> {
        let mut seen = HashSet::new();
        uids.iter().copied().filter(|&uid| seen.insert(self.key(uid))).collect()
    }

    /// Sets `thread_size` and `thread_unread` on summaries of the mailbox.
    pub fn annotate(&self, items: &mut [MessageSummary]) {
        for item in items {
            if let Some(g) = self.groups.get(&self.key(item.uid)) {
                item.thread_size = Some(g.size);
                item.thread_unread = Some(g.unread);
            }
        }
    }
}

#[derive(Default)]
struct Entry {
    keys: HashMap<u32, u64>,
    used: u64,
    snapshot: Option<(Fingerprint, Arc<MailboxThreads>)>,
}

#[derive(Default)]
struct Inner {
    maps: HashMap<MailboxKey, Entry>,
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
        let Some(entry) = inner.maps.get_mut(mailbox) else { return (HashMap::new(), uids.to_vec()) };
        entry.used = tick;
        let map = &mut entry.keys;
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
        let before = entry.keys.len();
        entry.keys.extend(keys.iter().map(|(u, k)| (*u, *k)));
        entry.used = tick;
        let added = entry.keys.len() - before;
        inner.held += added;
        while inner.held > self.max_uids {
            let Some(oldest) = inner.maps.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(gone) = inner.maps.remove(&oldest) {
                inner.held -= gone.keys.len();
            }
        }
    }

    /// Forgets an account's mailboxes.
    pub fn forget_account(&self, account: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            let gone: usize = inner.maps.iter().filter(|(k, _)| k.0 == account).map(|(_, e)| e.keys.len()).sum();
            inner.maps.retain(|k, _| k.0 != account);
            inner.held -= gone;
        }
    }

    /// The mailbox's threads as found at `print`, if that is the STATUS they were found at.
    pub fn snapshot(&self, mailbox: &MailboxKey, print: Fingerprint) -> Option<Arc<MailboxThreads>> {
        let inner = self.inner.lock().ok()?;
        let (at, threads) = inner.maps.get(mailbox)?.snapshot.as_ref()?;
        (*at == print).then(|| threads.clone())
    }

    /// Keeps the mailbox's threads found at `print` (its thread keys must be in the index).
    pub fn keep_snapshot(&self, mailbox: &MailboxKey, print: Fingerprint, threads: Arc<MailboxThreads>) {
        if let Ok(mut inner) = self.inner.lock()
            && let Some(entry) = inner.maps.get_mut(mailbox)
        {
            entry.snapshot = Some((print, threads));
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
        let threads =
            Arc::new(MailboxThreads::new(HashMap::from([(1, 7), (2, 7)]), vec![1, 2, 3], &HashSet::from([2])));
        let m = mailbox("b", "C");
        index.keep_snapshot(&m, [1, 2, 3, 4], threads);
        assert!(index.snapshot(&m, [1, 2, 3, 5]).is_none(), "another STATUS");
        let kept = index.snapshot(&m, [1, 2, 3, 4]).expect("the same STATUS");
        assert_eq!((kept.count(), kept.newest_first()), (2, &[3, 2, 1][..]));
        assert_eq!(kept.collapse(&[3, 2, 1]), vec![3, 2]);
        assert_ne!(key_of("Tabc"), key_of("Tabd"));
    }
}
