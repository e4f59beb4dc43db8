//! The immutable parts of messages, cached per (account, mailbox, UIDVALIDITY, UID): envelope,
//! size, dates and body structure never change for that key (RFC 3501 §2.3.1.1), so a page
//! that finds its messages here fetches only FLAGS and MODSEQ from the server, and a message
//! read only FLAGS, MODSEQ and its text parts. Bounded by entry count; the oldest go first.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

use crate::views::message::{Message, MessageSummary};

/// Where a summary belongs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// Account id.
    pub account: String,
    /// Mailbox name as the API spells it.
    pub mailbox: String,
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// UID.
    pub uid: u32,
}

#[derive(Debug)]
struct Inner<V> {
    map: HashMap<Key, V>,
    order: VecDeque<Key>,
}

impl<V> Default for Inner<V> {
    fn default() -> Self {
        Self { map: HashMap::new(), order: VecDeque::new() }
    }
}

/// A cache of immutable per-message values, shared by every pool of the process.
#[derive(Debug)]
pub struct ImmutableCache<V> {
    inner: Mutex<Inner<V>>,
    capacity: usize,
}

/// Message summaries for pages.
pub type SummaryCache = ImmutableCache<MessageSummary>;
/// Full messages without body values, for reads.
pub type MessageCache = ImmutableCache<Message>;

impl<V: Clone> ImmutableCache<V> {
    /// A cache of at most `capacity` summaries (0 turns it off).
    pub fn new(capacity: usize) -> Self {
        Self { inner: Mutex::default(), capacity }
    }

    /// True when the cache keeps anything.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// The cached summary, with the flags of when it was stored (the caller refreshes them).
    pub fn get(&self, key: &Key) -> Option<V> {
        self.inner.lock().ok()?.map.get(key).cloned()
    }

    /// Stores a summary; the oldest entries are dropped past the capacity.
    pub fn put(&self, key: Key, value: V) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else { return };
        if inner.map.insert(key.clone(), value).is_none() {
            inner.order.push_back(key);
        }
        while inner.order.len() > self.capacity {
            if let Some(old) = inner.order.pop_front() {
                inner.map.remove(&old);
            }
        }
    }

    /// Forgets everything of one account (its user logged out or changed credentials).
    pub fn forget_account(&self, account: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.map.retain(|k, _| k.account != account);
            inner.order.retain(|k| k.account != account);
        }
    }

    /// Number of cached summaries.
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.map.len())
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(account: &str, uid: u32) -> Key {
        Key { account: account.into(), mailbox: "INBOX".into(), uid_validity: 7, uid }
    }

    fn summary(uid: u32) -> MessageSummary {
        MessageSummary {
            uid,
            keywords: Default::default(),
            deleted: false,
            received_at: None,
            size: uid * 10,
            sent_at: None,
            subject: Some(format!("s{uid}")),
            from: vec![],
            to: vec![],
            cc: vec![],
            message_id: None,
            in_reply_to: None,
            has_attachment: false,
            imap: crate::views::message::MessageImap { uid_validity: 7, mod_seq: None, flags: vec![] },
        }
    }

    #[test]
    fn keeps_at_most_capacity_entries_dropping_the_oldest() {
        let c = SummaryCache::new(3);
        for uid in 1..=5 {
            c.put(key("a", uid), summary(uid));
        }
        assert_eq!(c.len(), 3);
        assert!(c.get(&key("a", 1)).is_none() && c.get(&key("a", 2)).is_none());
        assert_eq!(c.get(&key("a", 5)).map(|s| s.size), Some(50));
    }

    #[test]
    fn keys_separate_accounts_and_uid_validity() {
        let c = SummaryCache::new(10);
        c.put(key("a", 1), summary(1));
        assert!(c.get(&key("b", 1)).is_none(), "another account");
        assert!(c.get(&Key { uid_validity: 8, ..key("a", 1) }).is_none(), "another UIDVALIDITY");
        c.put(key("b", 1), summary(1));
        c.forget_account("a");
        assert!(c.get(&key("a", 1)).is_none());
        assert!(c.get(&key("b", 1)).is_some());
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let c = SummaryCache::new(0);
        c.put(key("a", 1), summary(1));
        assert!(c.is_empty() && !c.enabled());
    }
}
