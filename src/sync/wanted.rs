//! What an account's watcher follows: the mailboxes its webhooks pinned, and those its open
//! event streams want, counted per stream so that a mailbox no stream wants any more is
//! dropped; and the caps on streams and on the mailboxes they follow together.

use std::collections::{BTreeMap, BTreeSet};

/// Why a stream was refused (nothing changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamRefused {
    /// The account already has this many open streams.
    #[error("an account may have at most {0} open event streams at once")]
    TooManyStreams(usize),
    /// The streams (or the webhooks) of the account would follow more mailboxes than this.
    #[error("an account's event streams follow at most {0} mailboxes together, and so do its webhooks")]
    TooManyMailboxes(usize),
}

/// The caps on one account's event streams.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// Open streams at once.
    pub max_streams: usize,
    /// Mailboxes all open streams follow together.
    pub max_mailboxes: usize,
}

/// The watcher's mailboxes.
#[derive(Debug, Default)]
pub struct Wanted {
    /// Followed for webhooks (whose union is capped when a webhook is created).
    pinned: BTreeSet<String>,
    /// Followed for event streams.
    streams: BTreeMap<String, Want>,
    open_streams: usize,
    closes: u64,
}

/// How one mailbox is wanted by streams.
#[derive(Debug, Default)]
struct Want {
    /// Open streams that want it; 0: it lingers after the last one ended, so that a stream
    /// resuming with `Last-Event-ID` finds its changes, until a new stream needs the room.
    open: usize,
    /// When its last stream ended (a count of stream ends), for dropping the oldest first.
    closed_at: u64,
}

impl Wanted {
    /// Every mailbox the watcher must follow.
    pub fn all(&self) -> BTreeSet<String> {
        self.pinned.iter().chain(self.streams.keys()).cloned().collect()
    }

    fn follows(&self, mailbox: &str) -> bool {
        self.pinned.contains(mailbox) || self.streams.contains_key(mailbox)
    }

    /// Pins `mailboxes` for webhooks; true if the watcher did not follow one of them yet.
    pub fn pin(&mut self, mailboxes: &[String]) -> bool {
        let mut added = false;
        for m in mailboxes {
            added |= !self.follows(m);
            self.pinned.insert(m.clone());
        }
        added
    }

    /// Counts a new stream wanting `mailboxes`, if the limits allow it. Returns whether the
    /// watcher did not follow one of them yet, and the lingering mailboxes it stops following
    /// to make room (the streams' mailboxes never exceed `max_mailboxes`).
    pub fn open_stream(
        &mut self,
        mailboxes: &[String],
        limits: StreamLimits,
    ) -> Result<(bool, Vec<String>), StreamRefused> {
        if self.open_streams >= limits.max_streams {
            return Err(StreamRefused::TooManyStreams(limits.max_streams));
        }
        let asked: BTreeSet<&String> = mailboxes.iter().collect();
        let active = self.streams.iter().filter(|(m, w)| w.open > 0 || asked.contains(m)).count();
        let new = asked.iter().filter(|m| !self.streams.contains_key(**m)).count();
        if active + new > limits.max_mailboxes {
            return Err(StreamRefused::TooManyMailboxes(limits.max_mailboxes));
        }
        let mut lingering: Vec<(u64, String)> = self
            .streams
            .iter()
            .filter(|(m, w)| w.open == 0 && !asked.contains(m))
            .map(|(m, w)| (w.closed_at, m.clone()))
            .collect();
        lingering.sort();
        let excess = (self.streams.len() + new).saturating_sub(limits.max_mailboxes);
        let mut gone = Vec::new();
        for (_, m) in lingering.into_iter().take(excess) {
            self.streams.remove(&m);
            if !self.pinned.contains(&m) {
                gone.push(m);
            }
        }
        let added = asked.iter().any(|m| !self.follows(m));
        for m in asked {
            self.streams.entry(m.clone()).or_default().open += 1;
        }
        self.open_streams += 1;
        Ok((added, gone))
    }

    /// A stream wanting `mailboxes` ended: those no other stream wants linger.
    pub fn close_stream(&mut self, mailboxes: &[String]) {
        self.open_streams = self.open_streams.saturating_sub(1);
        self.closes += 1;
        for m in mailboxes.iter().collect::<BTreeSet<_>>() {
            if let Some(w) = self.streams.get_mut(m) {
                w.open = w.open.saturating_sub(1);
                if w.open == 0 {
                    w.closed_at = self.closes;
                }
            }
        }
    }

    /// Stops following `mailbox` for anyone (it is gone).
    pub fn remove(&mut self, mailbox: &str) {
        self.pinned.remove(mailbox);
        self.streams.remove(mailbox);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(r: std::ops::Range<usize>) -> Vec<String> {
        r.map(|i| format!("m{i}")).collect()
    }

    #[test]
    fn streams_are_capped_and_what_they_wanted_lingers_until_the_room_is_needed() {
        let limits = StreamLimits { max_streams: 2, max_mailboxes: 4 };
        let mut w = Wanted::default();
        assert!(w.pin(&names(0..2)), "webhooks pin m0, m1");
        assert_eq!(w.open_stream(&names(1..4), limits), Ok((true, vec![])), "m2 and m3 are new");
        let refused = w.open_stream(&names(3..6), limits);
        assert_eq!(refused, Err(StreamRefused::TooManyMailboxes(4)), "5 for open streams");
        assert_eq!(w.all().len(), 4, "a refused stream adds nothing");
        assert_eq!(w.open_stream(&names(0..1), limits), Ok((false, vec![])), "m0 is pinned: 4 for streams");
        assert_eq!(w.open_stream(&names(0..1), limits), Err(StreamRefused::TooManyStreams(2)));
        // the first stream ends: its mailboxes linger (a resuming stream finds their changes)
        w.close_stream(&names(1..4));
        assert_eq!(w.all(), names(0..4).into_iter().collect());
        // a new stream needs the room: the oldest lingering go, pinned ones are kept followed
        let (added, gone) = w.open_stream(&names(4..7), limits).expect("room");
        assert!(added);
        assert_eq!(gone, names(2..4), "m1 lingered too, but webhooks still want it");
        assert_eq!(w.all(), ["m0", "m1", "m4", "m5", "m6"].map(String::from).into_iter().collect());
        w.close_stream(&names(0..1));
        w.remove("m0");
        assert_eq!(w.all(), ["m1", "m4", "m5", "m6"].map(String::from).into_iter().collect());
    }
}
