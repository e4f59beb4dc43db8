//! Bounded collection of a `CHANGEDSINCE` answer: of every changed message the server streams,
//! only the `limit` lowest by (MODSEQ, UID) are kept, so a state token from MODSEQ 1 in a
//! mailbox of millions costs `limit` entries, not millions. The kept ones are exactly the first
//! `limit` in that order, and the first one left out is remembered, so a page can end anywhere
//! (even inside a run of messages that share one MODSEQ) and the next one resumes after it.

use std::{cmp::Ordering, collections::BinaryHeap};

/// One message as the server reports it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    /// UID.
    pub uid: u32,
    /// FLAGS as the server spells them.
    pub flags: Vec<String>,
    /// MODSEQ (CONDSTORE and QRESYNC only).
    pub mod_seq: Option<u64>,
}

/// Where a page of changes resumes: every change with a MODSEQ up to `mod_seq` was delivered,
/// and of those at exactly `mod_seq + 1`, the ones with a UID up to `after_uid` (0: none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The `CHANGEDSINCE` value.
    pub mod_seq: u64,
    /// The last UID delivered at MODSEQ `mod_seq + 1`.
    pub after_uid: u32,
}

impl Cursor {
    /// True if the change (`mod_seq`, `uid`) was delivered before this cursor.
    pub fn covers(&self, mod_seq: u64, uid: u32) -> bool {
        mod_seq <= self.mod_seq || (mod_seq == self.mod_seq.saturating_add(1) && uid <= self.after_uid)
    }
}

/// The (MODSEQ, UID) order of changes.
pub fn key(c: &Current) -> (u64, u32) {
    (c.mod_seq.unwrap_or(0), c.uid)
}

/// A kept change, ordered by its key only.
#[derive(Debug)]
struct Entry(Current);

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        key(&self.0) == key(&other.0)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        key(&self.0).cmp(&key(&other.0))
    }
}

/// What a collector takes: changes after `cursor`, below `uid_next` and up to `highest`
/// (what the EXAMINE covered; later changes belong to the next answer).
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// Changes this cursor covers were delivered already.
    pub cursor: Cursor,
    /// The old state's UIDNEXT: UIDs from it on were created since.
    pub old_uid_next: u32,
    /// The UIDNEXT of the EXAMINE.
    pub uid_next: u32,
    /// The HIGHESTMODSEQ of the EXAMINE.
    pub highest: Option<u64>,
}

/// Keeps the `limit` lowest changes; counts new UIDs among all of them.
#[derive(Debug)]
pub struct Collector {
    limit: usize,
    window: Window,
    /// A max-heap: its top is the first to give way to a lower change.
    kept: BinaryHeap<Entry>,
    first_left_out: Option<(u64, u32)>,
    new_uids: usize,
    top_uid: u32,
}

impl Collector {
    /// Keeps at most `limit` (at least 1) changes of `window`, and counts the distinct UIDs
    /// after its cursor from the old to the current UIDNEXT (messages created since the old
    /// state, for telling how many were expunged when nothing names them).
    pub fn new(limit: usize, window: Window) -> Self {
        let limit = limit.max(1);
        Self {
            limit,
            window,
            kept: BinaryHeap::with_capacity(limit.min(4096) + 1),
            first_left_out: None,
            new_uids: 0,
            top_uid: 0,
        }
    }

    /// Takes one change the server reported (in whatever order it sends them).
    pub fn offer(&mut self, c: Current) {
        let (m, w) = (c.mod_seq.unwrap_or(0), self.window);
        if w.cursor.covers(m, c.uid) {
            return;
        }
        // Servers answer in ascending UID order, so a UID not above every earlier one is a
        // repeat (an unsolicited FETCH) and not counted twice.
        if c.uid > self.top_uid {
            self.top_uid = c.uid;
            self.new_uids += usize::from((w.old_uid_next..w.uid_next).contains(&c.uid));
        }
        if c.uid < w.uid_next && w.highest.is_none_or(|h| m <= h) {
            self.keep(c);
        }
    }

    fn keep(&mut self, c: Current) {
        let k = key(&c);
        if self.kept.len() < self.limit {
            self.kept.push(Entry(c));
            return;
        }
        let left_out = match self.kept.peek() {
            Some(top) if k < key(&top.0) => {
                let out = self.kept.pop().map(|e| key(&e.0));
                self.kept.push(Entry(c));
                out
            }
            _ => Some(k),
        };
        if let Some(out) = left_out {
            self.first_left_out = Some(self.first_left_out.map_or(out, |f| f.min(out)));
        }
    }

    /// Held entries (the tests check the bound).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.kept.len()
    }

    /// The kept changes by UID (one per UID, the latest MODSEQ), the key of the first change
    /// left out (`None` if every change was kept), and the count of new UIDs.
    pub fn finish(self) -> Collected {
        let mut changed: Vec<Current> = self.kept.into_iter().map(|e| e.0).collect();
        changed.sort_unstable_by(|a, b| a.uid.cmp(&b.uid).then(b.mod_seq.cmp(&a.mod_seq)));
        changed.dedup_by_key(|c| c.uid);
        Collected { changed, left_out: self.first_left_out, new_uids: self.new_uids }
    }
}

/// What a [`Collector`] kept.
#[derive(Debug)]
pub struct Collected {
    /// Kept changes, ascending by UID.
    pub changed: Vec<Current>,
    /// The (MODSEQ, UID) of the first change not kept.
    pub left_out: Option<(u64, u32)>,
    /// Distinct new UIDs seen, kept or not.
    pub new_uids: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(uid: u32, mod_seq: u64) -> Current {
        Current { uid, flags: vec![], mod_seq: Some(mod_seq) }
    }

    fn window(old_uid_next: u32, uid_next: u32) -> Window {
        Window { cursor: Cursor { mod_seq: 1, after_uid: 0 }, old_uid_next, uid_next, highest: None }
    }

    #[test]
    fn keeps_only_the_lowest_by_mod_seq_then_uid_and_remembers_the_first_left_out() {
        let mut c = Collector::new(3, window(5, 10_001));
        // 10 000 changes streamed in UID order; MODSEQ falls as UIDs rise, in runs of 4.
        for uid in 1..=10_000u32 {
            c.offer(cur(uid, 20_000 - u64::from(uid - 1) / 4));
            assert!(c.len() <= 3, "bounded while streaming");
        }
        let got = c.finish();
        // Lowest MODSEQ is 17 501 (UIDs 9997..=10000); the first three by UID are kept.
        assert_eq!(
            got.changed.iter().map(|c| (c.uid, c.mod_seq)).collect::<Vec<_>>(),
            [(9997, Some(17_501)), (9998, Some(17_501)), (9999, Some(17_501))]
        );
        assert_eq!(got.left_out, Some((17_501, 10_000)));
        assert_eq!(got.new_uids, 9996, "UIDs 5..=10 000, kept or not");
    }

    #[test]
    fn nothing_left_out_below_the_limit_and_repeats_keep_the_latest() {
        let mut c = Collector::new(10, window(1, 10));
        for (uid, m) in [(1, 5), (2, 6), (1, 9)] {
            c.offer(cur(uid, m));
        }
        let got = c.finish();
        assert_eq!(got.changed, [cur(1, 9), cur(2, 6)]);
        assert_eq!((got.left_out, got.new_uids), (None, 2), "UID 1 counted once");
    }

    #[test]
    fn delivered_changes_and_those_after_the_examine_are_not_taken() {
        let w =
            Window { cursor: Cursor { mod_seq: 10, after_uid: 4 }, old_uid_next: 3, uid_next: 8, highest: Some(20) };
        let mut c = Collector::new(1, w);
        // 11/2 and 11/4 were delivered; 21 and UID 8 came after the EXAMINE.
        for (uid, m) in [(2, 11), (4, 11), (5, 21), (6, 11), (7, 12), (8, 13)] {
            c.offer(cur(uid, m));
        }
        let got = c.finish();
        assert_eq!(got.changed, [cur(6, 11)]);
        assert_eq!(got.left_out, Some((12, 7)));
        assert_eq!(got.new_uids, 3, "5, 6 and 7 exist and are new; 4 was counted before");
    }

    #[test]
    fn a_cursor_covers_its_mod_seq_and_the_delivered_part_of_the_next() {
        let at = Cursor { mod_seq: 10, after_uid: 7 };
        assert!(at.covers(9, 100) && at.covers(10, 100) && at.covers(11, 7));
        assert!(!at.covers(11, 8) && !at.covers(12, 1));
        assert!(!Cursor { mod_seq: 10, after_uid: 0 }.covers(11, 1));
    }
}
