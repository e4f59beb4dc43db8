//! The immutable parts of messages, cached per (account, mailbox, UIDVALIDITY, UID): envelope,
//! size, dates, body structure and content never change for that key (RFC 3501 §2.3.1.1), so
//! a page that finds its messages here fetches only FLAGS and MODSEQ from the server, and so
//! does a message read again with the same body value limit. Bounded by entry count and by
//! estimated bytes; eviction gives a second chance (CLOCK): the oldest entry goes first unless it
//! was read since it last came round, then it goes to the back, so entries read again stay while
//! those read once go. When the cache is full, a new entry takes the place of the one eviction
//! would drop only if it was asked for more often lately (`cache_sketch`), so a scan of more
//! messages than fit does not wash out what is read again. Hits, misses and refused entries are
//! counted. Flags are never served from here.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

use super::cache_sketch::Sketch;
use crate::views::message::{BodyPart, EmailAddress, Envelope, Message, MessageSummary};

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

/// About how many bytes of memory a cached value holds (an estimate, for the byte bound).
pub trait Weight {
    /// The estimate, in bytes.
    fn weight(&self) -> usize;
}

/// A string's heap bytes plus an allocator's overhead.
fn text_weight(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, |s| s.len() + 16)
}

/// Addresses by the length of their strings, so that a huge To header weighs what it holds.
fn addresses_weight(list: &[EmailAddress]) -> usize {
    list.iter()
        .map(|a| {
            std::mem::size_of::<EmailAddress>() + text_weight(&a.name) + text_weight(&a.email) + text_weight(&a.group)
        })
        .sum()
}

fn summary_weight(s: &MessageSummary) -> usize {
    let strings = [&s.received_at, &s.sent_at, &s.subject, &s.message_id, &s.in_reply_to, &s.imap.mod_seq];
    let flags: usize = s.imap.flags.iter().map(|f| f.len() + 40).sum::<usize>()
        + s.keywords.keys().map(|k| k.len() + 64).sum::<usize>();
    std::mem::size_of::<MessageSummary>()
        + strings.iter().map(|s| text_weight(s)).sum::<usize>()
        + addresses_weight(&s.from)
        + addresses_weight(&s.to)
        + addresses_weight(&s.cc)
        + flags
        + s.preview.len()
        + s.thread_id.len()
        + s.email_id.len()
        + 176
}

fn envelope_weight(e: &Envelope) -> usize {
    let strings = [&e.date, &e.sent_at, &e.subject, &e.in_reply_to, &e.message_id];
    let lists = [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc];
    std::mem::size_of::<Envelope>()
        + strings.iter().map(|s| text_weight(s)).sum::<usize>()
        + lists.iter().map(|l| addresses_weight(l)).sum::<usize>()
}

fn part_weight(p: &BodyPart) -> usize {
    std::mem::size_of::<BodyPart>() + 160 + p.sub_parts.iter().map(part_weight).sum::<usize>()
}

impl Weight for MessageSummary {
    fn weight(&self) -> usize {
        summary_weight(self)
    }
}

/// A message as cached: its structure, and the body values decoded for one limit.
#[derive(Clone, Debug)]
pub struct CachedMessage {
    /// The message; its flags are those of when it was stored (the caller refreshes them).
    pub message: Message,
    /// The `maxBodyValueBytes` its body values were decoded for; `None` when it holds none.
    pub values_for: Option<u32>,
}

impl Weight for CachedMessage {
    fn weight(&self) -> usize {
        let m = &self.message;
        let refs = (m.text_body.len() + m.html_body.len() + m.attachments.len()) * 192;
        let values: usize = m.body_values.iter().map(|(k, v)| k.len() + v.value.len() + 64).sum();
        summary_weight(&m.summary) + envelope_weight(&m.envelope) + part_weight(&m.body_structure) + refs + values + 256
    }
}

/// A cached value, its weight, and whether it was read since eviction last passed it.
struct Entry<V> {
    value: V,
    weight: usize,
    referenced: bool,
}

struct Inner<V> {
    map: HashMap<Key, Entry<V>>,
    order: VecDeque<Key>,
    bytes: usize,
    hits: u64,
    misses: u64,
    refused: u64,
    sketch: Sketch,
}

impl<V> Inner<V> {
    fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            hits: 0,
            misses: 0,
            refused: 0,
            sketch: Sketch::new(capacity),
        }
    }

    /// The entry eviction would drop next: entries at the front read since they last came
    /// round lose their mark and go to the back first (at most one pass).
    fn victim(&mut self) -> Option<&Key> {
        for _ in 0..self.order.len() {
            let front = self.order.front()?;
            match self.map.get_mut(front) {
                Some(e) if e.referenced => {
                    e.referenced = false;
                    self.order.rotate_left(1);
                }
                _ => break,
            }
        }
        self.order.front()
    }

    /// Whether a new entry of `weight` may take the place of the one eviction would drop:
    /// always while there is room, and when the cache is full only if the newcomer was asked
    /// for more often lately than that entry (a victim never asked for gives way to anything).
    fn admits(&mut self, key: &Key, weight: usize, capacity: usize, max_bytes: usize) -> bool {
        if self.order.len() < capacity && self.bytes + weight <= max_bytes {
            return true;
        }
        let newcomer = self.sketch.estimate(key);
        let Some(victim) = self.victim().cloned() else { return true };
        let incumbent = self.sketch.estimate(&victim);
        incumbent == 0 || newcomer > incumbent
    }

    /// Drops entries until both bounds hold, each the one [`victim`](Self::victim) names.
    fn evict(&mut self, capacity: usize, max_bytes: usize) {
        while self.order.len() > capacity || self.bytes > max_bytes {
            let Some(old) = self.victim().cloned() else { break };
            self.order.pop_front();
            if let Some(e) = self.map.remove(&old) {
                self.bytes -= e.weight;
            }
        }
    }
}

/// A cache of immutable per-message values, shared by every pool of the process.
pub struct ImmutableCache<V> {
    inner: Mutex<Inner<V>>,
    capacity: usize,
    max_bytes: usize,
}

impl<V> std::fmt::Debug for ImmutableCache<V> {
    /// Counts only: the values are message content (subjects, addresses, text).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (entries, bytes) = self.inner.lock().map(|i| (i.map.len(), i.bytes)).unwrap_or_default();
        f.debug_struct("ImmutableCache")
            .field("entries", &entries)
            .field("bytes", &bytes)
            .field("capacity", &self.capacity)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

/// Message summaries for pages.
pub type SummaryCache = ImmutableCache<MessageSummary>;
/// Full messages, with or without body values, for reads.
pub type MessageCache = ImmutableCache<CachedMessage>;

impl<V: Clone + Weight> ImmutableCache<V> {
    /// A cache of at most `capacity` values (0 turns it off), with no byte bound.
    pub fn new(capacity: usize) -> Self {
        Self::bounded(capacity, usize::MAX)
    }

    /// A cache of at most `capacity` values weighing at most `max_bytes` in all.
    pub fn bounded(capacity: usize, max_bytes: usize) -> Self {
        Self { inner: Mutex::new(Inner::new(capacity)), capacity, max_bytes }
    }

    /// True when the cache keeps anything.
    pub fn enabled(&self) -> bool {
        self.capacity > 0 && self.max_bytes > 0
    }

    /// The largest value worth keeping: one value may take at most a sixteenth of the bound,
    /// so that a few big messages cannot push out everything else.
    pub fn fits(&self, value: &V) -> bool {
        value.weight() <= self.max_bytes / 16
    }

    /// The cached value (marked as read, and counted as a hit or a miss).
    pub fn get(&self, key: &Key) -> Option<V> {
        let mut inner = self.inner.lock().ok()?;
        inner.sketch.add(key);
        let found = inner.map.get_mut(key).map(|e| {
            e.referenced = true;
            e.value.clone()
        });
        if found.is_some() {
            inner.hits += 1
        } else {
            inner.misses += 1
        }
        found
    }

    /// Stores a value (replacing one under the same key); past either bound, entries are
    /// dropped oldest first, but for those read since eviction last passed them. A value that
    /// does not [`fit`](Self::fits) is not stored.
    pub fn put(&self, key: Key, value: V) {
        let weight = value.weight();
        if !self.enabled() || weight > self.max_bytes / 16 {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else { return };
        if !inner.map.contains_key(&key) && !inner.admits(&key, weight, self.capacity, self.max_bytes) {
            inner.refused += 1;
            return;
        }
        match inner.map.insert(key.clone(), Entry { value, weight, referenced: false }) {
            Some(old) => inner.bytes -= old.weight,
            None => inner.order.push_back(key),
        }
        inner.bytes += weight;
        inner.evict(self.capacity, self.max_bytes);
    }

    /// Lookups so far: (hits, misses).
    pub fn lookups(&self) -> (u64, u64) {
        self.inner.lock().map_or((0, 0), |i| (i.hits, i.misses))
    }

    /// New entries not kept so far because the cache was full of entries asked for as often.
    pub fn refused(&self) -> u64 {
        self.inner.lock().map_or(0, |i| i.refused)
    }

    /// Forgets everything of one account (its user logged out or changed credentials).
    pub fn forget_account(&self, account: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            let gone: usize = inner.map.iter().filter(|(k, _)| k.account == account).map(|(_, e)| e.weight).sum();
            inner.map.retain(|k, _| k.account != account);
            inner.order.retain(|k| k.account != account);
            inner.bytes -= gone;
        }
    }

    /// Number of cached values.
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.map.len())
    }

    /// Estimated bytes held.
    pub fn bytes(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.bytes)
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The account whose cached summaries and messages a read may use (`CacheScope::of` is in
/// `pool.rs`, beside the caches it borrows).
#[derive(Clone, Copy, Debug)]
pub struct CacheScope<'a> {
    /// The process's summaries.
    pub summaries: &'a SummaryCache,
    /// The process's messages.
    pub messages: &'a MessageCache,
    /// The process's thread keys.
    pub threads: &'a super::thread_index::ThreadIndex,
    /// The account id.
    pub account: &'a str,
}

impl CacheScope<'_> {
    /// The cache key of message `uid` of `mailbox` in this account.
    pub fn key(&self, mailbox: &super::encode::MailboxName, uid_validity: u32, uid: u32) -> Key {
        Key { account: self.account.to_string(), mailbox: mailbox.as_str().to_string(), uid_validity, uid }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(account: &str, uid: u32) -> Key {
        Key { account: account.into(), mailbox: "INBOX".into(), uid_validity: 7, uid }
    }

    fn summary(uid: u32) -> MessageSummary {
        MessageSummary { size: uid * 10, subject: Some(format!("s{uid}")), ..MessageSummary::empty(uid, 7) }
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
    fn an_entry_read_again_outlives_older_entries_read_once() {
        let c = SummaryCache::new(3);
        for uid in 1..=3 {
            c.put(key("a", uid), summary(uid));
        }
        // 1 is the oldest, but read since it was stored: 2 goes first, then 3.
        assert!(c.get(&key("a", 1)).is_some());
        c.put(key("a", 4), summary(4));
        assert!(c.get(&key("a", 2)).is_none(), "the oldest entry not read again goes");
        c.put(key("a", 5), summary(5));
        assert!(c.get(&key("a", 3)).is_none());
        assert_eq!(c.get(&key("a", 1)).map(|s| s.size), Some(10), "the entry read again stays");
        assert_eq!(c.len(), 3);
        // Lookups: hits 1 (1), 1 (1 again); misses 2, 3.
        assert_eq!(c.lookups(), (2, 2));
    }

    #[test]
    fn a_cyclic_scan_of_twice_the_capacity_keeps_half_of_it_cached() {
        // Reads of 200 messages in turn, with room for 100: each read that misses stores the
        // message. Oldest-out keeps none of them by the time they come round again.
        let c = SummaryCache::new(100);
        for _ in 0..10 {
            for uid in 1..=200 {
                if c.get(&key("a", uid)).is_none() {
                    c.put(key("a", uid), summary(uid));
                }
            }
        }
        let (hits, misses) = c.lookups();
        let rate = hits as f64 / (hits + misses) as f64;
        assert!(rate > 0.35, "hit rate {rate:.2} ({hits} hits, {misses} misses)");
        assert!(c.refused() > 0);
        assert_eq!(c.len(), 100);
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
    fn keeps_at_most_max_bytes_dropping_the_oldest() {
        // UIDs of two digits weigh the same.
        let one = summary(10).weight();
        let c = SummaryCache::bounded(1000, one * 48);
        for uid in 10..=99 {
            c.put(key("a", uid), summary(uid));
        }
        assert_eq!(c.len(), 48, "48 fit in the byte bound");
        assert_eq!(c.bytes(), one * 48);
        assert!(c.get(&key("a", 51)).is_none() && c.get(&key("a", 52)).is_some());
        // Replacing a value counts its weight once.
        c.put(key("a", 99), summary(99));
        assert_eq!((c.len(), c.bytes()), (48, one * 48));
        c.forget_account("a");
        assert_eq!((c.len(), c.bytes()), (0, 0));
        assert!(!SummaryCache::bounded(100, one * 15).fits(&summary(10)), "a value over 1/16 of the bound");
        assert!(SummaryCache::bounded(100, one * 16).fits(&summary(10)));
        let small = SummaryCache::bounded(100, one * 15);
        small.put(key("a", 10), summary(10));
        assert!(small.is_empty(), "a value that does not fit is not stored");
    }

    #[test]
    fn summaries_weigh_their_text_and_are_bounded_by_bytes() {
        // A summary with a 100 kB subject and 2,000 long addresses weighs at least what it holds.
        let mut heavy = summary(1);
        heavy.subject = Some("s".repeat(100_000));
        heavy.to = (0..2_000)
            .map(|n| EmailAddress {
                name: Some(format!("Recipient {n} {}", "x".repeat(500))),
                email: Some(format!("r{n}@example.org")),
                group: None,
            })
            .collect();
        let held = 100_000
            + heavy
                .to
                .iter()
                .map(|a| a.name.as_ref().map_or(0, String::len) + a.email.as_ref().map_or(0, String::len))
                .sum::<usize>();
        assert!(heavy.weight() >= held, "{} < {held}", heavy.weight());
        // The pool's summary cache has the configured byte bound (default 32 MiB).
        let settings = crate::config::PoolSettings { summary_cache_bytes: 2 * 1024 * 1024, ..Default::default() };
        assert_eq!(crate::config::PoolSettings::default().summary_cache_bytes, 32 * 1024 * 1024);
        let c = SummaryCache::bounded(settings.summary_cache_entries, settings.summary_cache_bytes);
        assert!(!c.fits(&heavy), "over a sixteenth of 2 MiB");
        c.put(key("a", 1), heavy.clone());
        assert!(c.is_empty(), "too heavy to keep");
        // Entries of 100 kB each: at most 20 fit in 2 MiB, whatever the entry bound (20,000).
        let mut medium = summary(2);
        medium.subject = Some("m".repeat(100_000));
        for uid in 1..=100 {
            c.put(key("a", uid), medium.clone());
        }
        assert!(
            c.bytes() <= 2 * 1024 * 1024 && c.len() <= 20 && c.len() >= 15,
            "{} entries, {} bytes",
            c.len(),
            c.bytes()
        );
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let c = SummaryCache::new(0);
        c.put(key("a", 1), summary(1));
        assert!(c.is_empty() && !c.enabled());
    }
}
