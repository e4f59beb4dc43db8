//! Live events per account: a broadcast channel, a bounded replay buffer for `Last-Event-ID`,
//! the mailboxes the account's watcher must follow, and the registry of feeds (the hub).

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::{Notify, broadcast};

pub use super::wanted::{StreamLimits, StreamRefused};
use super::{token::ModState, wanted::Wanted};
use crate::views::events::EventData;

/// An event with its place in the feed.
#[derive(Debug)]
pub struct Stamped {
    /// Position in this feed, from 1.
    pub seq: u64,
    /// The SSE id: feed epoch and position (`5f3a…-17`).
    pub id: String,
    /// The event.
    pub event: EventData,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One account's events.
#[derive(Debug)]
pub struct Feed {
    /// The account.
    pub account: String,
    epoch: u64,
    capacity: usize,
    buffer: Mutex<VecDeque<Arc<Stamped>>>,
    seq: AtomicU64,
    tx: broadcast::Sender<Arc<Stamped>>,
    subscribers: AtomicUsize,
    last_left: Mutex<Option<Instant>>,
    wanted: Mutex<Wanted>,
    seeds: Mutex<HashMap<String, ModState>>,
    /// The mailboxes the watcher follows, each with the state it started from.
    watching: Mutex<BTreeMap<String, ModState>>,
    watching_changed: Notify,
    stopped: AtomicBool,
    closed: Notify,
    /// Wakes the watcher out of IDLE: new mailboxes, the last subscriber left, or stop.
    pub wake: Notify,
    /// Logins of the account's user since the feed started, and their signal: they end a
    /// watcher's park after a refused login.
    logins: AtomicU64,
    logged_in: Notify,
}

/// What a new subscriber starts with.
#[derive(Debug)]
pub struct Subscription {
    /// Buffered events after `Last-Event-ID`, or `None` if the buffer no longer reaches back.
    pub replay: Option<Vec<Arc<Stamped>>>,
    /// Live events.
    pub live: broadcast::Receiver<Arc<Stamped>>,
    /// Counts the subscriber while it lives.
    pub guard: SubscriberGuard,
}

/// Decrements the subscriber count on drop.
#[derive(Debug)]
pub struct SubscriberGuard(Arc<Feed>);

impl Drop for SubscriberGuard {
    fn drop(&mut self) {
        if self.0.subscribers.fetch_sub(1, Ordering::SeqCst) == 1 {
            *lock(&self.0.last_left) = Some(Instant::now());
            self.0.wake.notify_one();
        }
    }
}

impl Feed {
    fn new(account: &str, capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(16));
        Self {
            account: account.to_string(),
            epoch: crate::random::random_id(),
            capacity: capacity.max(1),
            buffer: Mutex::default(),
            seq: AtomicU64::new(0),
            tx,
            subscribers: AtomicUsize::new(0),
            last_left: Mutex::new(Some(Instant::now())),
            wanted: Mutex::default(),
            seeds: Mutex::default(),
            watching: Mutex::default(),
            watching_changed: Notify::new(),
            stopped: AtomicBool::new(false),
            closed: Notify::new(),
            wake: Notify::new(),
            logins: AtomicU64::new(0),
            logged_in: Notify::new(),
        }
    }

    /// Appends to the buffer and sends to live subscribers, under one lock so that a new
    /// subscriber sees every event exactly once (in its replay or live).
    pub fn publish(&self, event: EventData) {
        let mut buffer = lock(&self.buffer);
        let seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let stamped = Arc::new(Stamped { seq, id: format!("{:x}-{seq}", self.epoch), event });
        if buffer.len() == self.capacity {
            buffer.pop_front();
        }
        buffer.push_back(stamped.clone());
        let _ = self.tx.send(stamped);
    }

    /// Subscribes, replaying what followed `last_event_id` if the buffer still holds it.
    pub fn subscribe(self: &Arc<Self>, last_event_id: Option<&str>) -> Subscription {
        self.subscribers.fetch_add(1, Ordering::SeqCst);
        self.subscribed(last_event_id)
    }

    /// The subscription of a subscriber already counted.
    fn subscribed(self: &Arc<Self>, last_event_id: Option<&str>) -> Subscription {
        let buffer = lock(&self.buffer);
        let live = self.tx.subscribe();
        let replay = match last_event_id {
            None => Some(Vec::new()),
            Some(id) => self.position(id).and_then(|after| {
                let oldest = buffer.front().map_or(self.seq.load(Ordering::SeqCst) + 1, |e| e.seq);
                (after + 1 >= oldest).then(|| buffer.iter().filter(|e| e.seq > after).cloned().collect())
            }),
        };
        Subscription { replay, live, guard: SubscriberGuard(self.clone()) }
    }

    /// The position an id of this feed names; `None` for another feed's id or garbage.
    fn position(&self, id: &str) -> Option<u64> {
        let (epoch, seq) = id.split_once('-')?;
        let seq: u64 = seq.parse().ok()?;
        (u64::from_str_radix(epoch, 16).ok()? == self.epoch && seq <= self.seq.load(Ordering::SeqCst)).then_some(seq)
    }

    /// Live subscribers.
    pub fn subscribers(&self) -> usize {
        self.subscribers.load(Ordering::SeqCst)
    }

    /// How long the feed has had no subscriber (`None` while it has some).
    pub fn unwatched_for(&self) -> Option<Duration> {
        if self.subscribers() > 0 {
            return None;
        }
        lock(&self.last_left).map(|t| t.elapsed())
    }

    /// The mailboxes the watcher must follow.
    pub fn wanted(&self) -> BTreeSet<String> {
        lock(&self.wanted).all()
    }

    /// The state to start `mailbox` from instead of "now" (webhooks resuming after a
    /// restart), taken once.
    pub fn take_seed(&self, mailbox: &str) -> Option<ModState> {
        lock(&self.seeds).remove(mailbox)
    }

    /// Stops following `mailbox` (it is gone).
    pub fn unwant(&self, mailbox: &str) {
        lock(&self.wanted).remove(mailbox);
        lock(&self.watching).remove(mailbox);
    }

    /// Forgets mailboxes the watcher no longer follows (the room went to another stream).
    fn dropped(&self, gone: &[String]) {
        if gone.is_empty() {
            return;
        }
        let mut watching = lock(&self.watching);
        for m in gone {
            watching.remove(m);
        }
        self.wake.notify_one();
    }

    /// Records that the watcher follows `mailbox` from `baseline`.
    pub fn mark_watching(&self, mailbox: &str, baseline: ModState) {
        lock(&self.watching).insert(mailbox.to_string(), baseline);
        self.watching_changed.notify_waiters();
    }

    /// Waits until the watcher follows all of `mailboxes`, at most `limit`. True if it does.
    pub async fn wait_watching(&self, mailboxes: &[String], limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.watching_changed.notified();
            if mailboxes.iter().all(|m| lock(&self.watching).contains_key(m)) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return false;
            }
        }
    }

    /// The state the watcher started following `mailbox` from, once it follows it: every
    /// change after it is published.
    pub fn baseline(&self, mailbox: &str) -> Option<ModState> {
        lock(&self.watching).get(mailbox).copied()
    }

    /// True once the feed was stopped (logout, or the watcher gave up).
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Marks the feed stopped and wakes the watcher and every stream.
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        self.closed.notify_waiters();
    }

    /// How many logins of the account's user the feed has seen.
    pub fn logins(&self) -> u64 {
        self.logins.load(Ordering::SeqCst)
    }

    /// Resolves once a login follows the `seen`-th (at once if one already did).
    pub async fn until_login_after(&self, seen: u64) {
        loop {
            let notified = self.logged_in.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.logins() != seen {
                return;
            }
            notified.await;
        }
    }

    /// Resolves once the feed is stopped.
    pub async fn until_stopped(&self) {
        loop {
            let notified = self.closed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_stopped() {
                return;
            }
            notified.await;
        }
    }
}

/// An event stream's hold on the mailboxes it wants: once it is dropped (the stream ended),
/// those no other stream wants linger until a new stream needs the room.
#[derive(Debug)]
pub struct StreamWants {
    feed: Arc<Feed>,
    mailboxes: Vec<String>,
}

impl Drop for StreamWants {
    fn drop(&mut self) {
        lock(&self.feed.wanted).close_stream(&self.mailboxes);
    }
}

/// All feeds of this process.
#[derive(Debug, Default)]
pub struct Hub {
    feeds: Mutex<HashMap<String, Arc<Feed>>>,
}

impl Hub {
    /// The feed of `account`, created (and `spawn` called with it) if there is none, with
    /// `mailboxes` pinned for webhooks; the watcher is told about mailboxes it does not follow
    /// yet. `seeds` are starting states for mailboxes the watcher has no baseline for yet.
    pub fn feed(
        &self,
        account: &str,
        mailboxes: &[String],
        seeds: &[(String, ModState)],
        capacity: usize,
        spawn: impl FnOnce(Arc<Feed>),
    ) -> Arc<Feed> {
        let (feed, created) = self.entry(account, capacity);
        lock(&feed.seeds).extend(seeds.iter().cloned());
        let added = lock(&feed.wanted).pin(mailboxes);
        Self::started(&feed, created, added, spawn);
        feed
    }

    /// The feed of `account` for one more event stream wanting `mailboxes` while the returned
    /// guard lives; refused, changing nothing, past the account's stream limits.
    pub fn stream(
        &self,
        account: &str,
        mailboxes: &[String],
        capacity: usize,
        limits: StreamLimits,
        spawn: impl FnOnce(Arc<Feed>),
    ) -> Result<(Arc<Feed>, StreamWants), StreamRefused> {
        let (feed, created) = self.entry(account, capacity);
        let opened = lock(&feed.wanted).open_stream(mailboxes, limits);
        let added = match opened {
            Ok((added, gone)) => {
                feed.dropped(&gone);
                added
            }
            Err(e) => {
                if created {
                    self.remove_if_idle(&feed);
                }
                return Err(e);
            }
        };
        Self::started(&feed, created, added, spawn);
        Ok((feed.clone(), StreamWants { feed, mailboxes: mailboxes.to_vec() }))
    }

    /// The account's feed, and whether it was created just now.
    fn entry(&self, account: &str, capacity: usize) -> (Arc<Feed>, bool) {
        let mut feeds = lock(&self.feeds);
        match feeds.get(account) {
            Some(f) => (f.clone(), false),
            None => {
                let f = Arc::new(Feed::new(account, capacity));
                feeds.insert(account.to_string(), f.clone());
                (f, true)
            }
        }
    }

    fn started(feed: &Arc<Feed>, created: bool, added: bool, spawn: impl FnOnce(Arc<Feed>)) {
        if created {
            spawn(feed.clone());
        } else if added {
            feed.wake.notify_one();
        }
    }

    /// Removes `feed` if it still has no subscriber; true if it was removed. Called by the
    /// watcher before it stops, under the registry lock so that no subscriber can slip in.
    pub fn remove_if_idle(&self, feed: &Arc<Feed>) -> bool {
        let mut feeds = lock(&self.feeds);
        let current = feeds.get(&feed.account).is_some_and(|f| Arc::ptr_eq(f, feed));
        if feed.subscribers() == 0 || !current {
            if current {
                feeds.remove(&feed.account);
            }
            feed.stop();
            return true;
        }
        false
    }

    /// Stops the account's feed (logout): the watcher ends and streams close.
    pub fn stop(&self, account: &str) {
        if let Some(feed) = lock(&self.feeds).remove(account) {
            feed.stop();
        }
    }

    /// A user of `account` logged in: a watcher parked after a refused login tries again now.
    pub fn logged_in(&self, account: &str) {
        if let Some(feed) = lock(&self.feeds).get(account) {
            feed.logins.fetch_add(1, Ordering::SeqCst);
            feed.logged_in.notify_waiters();
        }
    }

    /// Stops every feed (shutdown).
    pub fn stop_all(&self) {
        for (_, feed) in lock(&self.feeds).drain() {
            feed.stop();
        }
    }

    /// Number of feeds (one watcher each).
    pub fn len(&self) -> usize {
        lock(&self.feeds).len()
    }

    /// True without feeds.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
