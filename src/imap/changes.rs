//! What changed in a mailbox since a MODSEQ: QRESYNC (`CHANGEDSINCE` + `VANISHED`), CONDSTORE
//! (`CHANGEDSINCE`, deletions from caller-known UIDs) or a bounded scan of every UID and its
//! FLAGS. Returns raw facts; turning them into a delta is `sync::changes`.

use async_imap::imap_proto::{AttributeValue, MailboxDatum, Response};

use super::collect::Current;
use super::{
    collect::{Collector, Cursor, Window},
    encode::{self, FetchItem, MailboxName, UidSet},
    error::ImapError,
    mailbox::select_read_only,
    select_state::SelectState,
    session::ImapConn,
};

/// A scan reads at most this many messages.
pub const SCAN_LIMIT: u32 = 100_000;

/// At most this many expunged UIDs are collected for one answer.
pub const MAX_GONE: usize = 1_000_000;

/// How the changes were found (the `syncMethod` of the answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `UID FETCH … (CHANGEDSINCE m VANISHED)` (RFC 7162 QRESYNC).
    Qresync,
    /// `UID FETCH … (CHANGEDSINCE m)` (CONDSTORE), deletions by searching known UIDs.
    Condstore,
    /// FLAGS of every message, compared with a snapshot.
    Scan,
}

impl Method {
    /// Every method, in the order of preference.
    pub const ALL: [Self; 3] = [Self::Qresync, Self::Condstore, Self::Scan];

    /// The lower-case name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qresync => "qresync",
            Self::Condstore => "condstore",
            Self::Scan => "scan",
        }
    }
}

/// The raw facts a delta is computed from.
#[derive(Debug)]
pub struct Facts {
    /// The mailbox state from EXAMINE, taken before the fetch.
    pub state: SelectState,
    /// The method used.
    pub method: Method,
    /// Messages changed since the MODSEQ (every message for a scan), by UID. With a MODSEQ,
    /// only the lowest by (MODSEQ, UID) after the request's cursor, at most its `collect_max`.
    pub changed: Vec<Current>,
    /// With a MODSEQ: the (MODSEQ, UID) of the first change left out of `changed`, if any.
    pub left_out: Option<(u64, u32)>,
    /// With a MODSEQ: how many changed UIDs lie between the old and the current UIDNEXT
    /// (created since), counted over every change after the cursor, kept or not.
    pub new_uids: usize,
    /// UIDs below the old UIDNEXT known to be gone: VANISHED (QRESYNC) or caller-known UIDs
    /// that no longer exist. `None` when nothing could tell.
    pub gone: Option<Vec<u32>>,
    /// The server reported new or expunged messages while the fetch ran: they may be missing
    /// from these facts, and the server will not report them again, so look once more.
    pub moved: bool,
}

/// What was asked for.
#[derive(Clone, Debug)]
pub struct Request {
    /// The HIGHESTMODSEQ of the old state (0 if it had none).
    pub mod_seq: u64,
    /// Changes at MODSEQ `mod_seq + 1` with a UID up to this were already delivered (0: none).
    pub after_uid: u32,
    /// The UIDNEXT of the old state.
    pub uid_next: u32,
    /// UIDs the caller has, sorted (for CONDSTORE and scan deletions).
    pub known: Option<Vec<u32>>,
    /// Most messages a scan may read.
    pub scan_limit: u32,
    /// Most changed messages held with a MODSEQ (the rest wait for the next page).
    pub collect_max: usize,
}

/// The outcome of a change query.
#[derive(Debug)]
pub enum Outcome {
    /// The facts.
    Facts(Facts),
    /// UIDVALIDITY is not the old state's: the client must resync.
    Stale {
        /// The current UIDVALIDITY.
        current: u32,
    },
    /// A scan would read more messages, or more UIDs vanished, than one answer may hold.
    TooLarge {
        /// Messages in the mailbox.
        exists: u32,
        /// True if expunged UIDs were too many (else the scan was too large).
        vanished: bool,
    },
}

/// EXAMINE `mailbox` and collect what changed since `req`, choosing the best method offered.
pub async fn since(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uid_validity: u32,
    req: &Request,
) -> Result<Outcome, ImapError> {
    let state = select_read_only(conn, mailbox).await?;
    let current = state.uid_validity.unwrap_or(0);
    if current != uid_validity {
        return Ok(Outcome::Stale { current });
    }
    let method = if req.mod_seq > 0 && conn.qresync_enabled() {
        Method::Qresync
    } else if req.mod_seq > 0 && conn.has("CONDSTORE") && state.highest_mod_seq.is_some() {
        Method::Condstore
    } else {
        Method::Scan
    };
    if method == Method::Scan && state.exists > req.scan_limit {
        return Ok(Outcome::TooLarge { exists: state.exists, vanished: false });
    }
    let mut scanned = Vec::new();
    let below = state.uid_next.unwrap_or(u32::MAX);
    // With a MODSEQ, the changes are held in bounded memory: see `collect`.
    let window = Window {
        cursor: Cursor { mod_seq: req.mod_seq, after_uid: req.after_uid },
        old_uid_next: req.uid_next,
        uid_next: below,
        highest: state.highest_mod_seq,
    };
    let mut collector = Collector::new(req.collect_max, window);
    let mut vanished = Vec::new();
    let mut moved = false;
    if state.exists > 0 || method == Method::Qresync {
        let cmd = match method {
            Method::Qresync => encode::uid_fetch_changed_since(req.mod_seq, true),
            Method::Condstore => encode::uid_fetch_changed_since(req.mod_seq, false),
            Method::Scan => encode::uid_fetch(&UidSet::range(1, u32::MAX), &[FetchItem::Uid, FetchItem::Flags]),
        };
        // Only UIDs the old state could have had matter; ranges are clipped before they are
        // expanded, and the count is capped, so a huge VANISHED range costs nothing.
        // Clipped at the current UIDNEXT, not the old one: after a page cut, a message reported
        // as created may have gone since, and its deletion must still be reported.
        let mut overflow = false;
        let exists = state.exists;
        let scan_limit = req.scan_limit as usize;
        conn.execute(&cmd, |r| match r {
            Response::Fetch(_, attrs) => match (method, current_of(attrs)) {
                (_, None) => {}
                // A scan holds every message: at most `scan_limit`, even if more arrived.
                (Method::Scan, Some(c)) if scanned.len() < scan_limit => scanned.push(c),
                (Method::Scan, Some(_)) => overflow = true,
                (_, Some(c)) => collector.offer(c),
            },
            Response::MailboxData(MailboxDatum::Exists(n)) if *n != exists => moved = true,
            Response::Expunge(_) | Response::Vanished { earlier: false, .. } => moved = true,
            Response::Vanished { earlier: true, uids } => {
                for range in uids {
                    let end = (*range.end()).min(below.saturating_sub(1));
                    let count = end.saturating_sub(*range.start()).saturating_add(1) as usize;
                    if *range.start() <= end && vanished.len() + count > MAX_GONE {
                        overflow = true;
                    } else if *range.start() <= end {
                        vanished.extend(*range.start()..=end);
                    }
                }
            }
            _ => {}
        })
        .await?;
        if overflow {
            return Ok(Outcome::TooLarge { exists: state.exists, vanished: method != Method::Scan });
        }
    }
    let (changed, left_out, new_uids) = if method == Method::Scan {
        scanned.sort_unstable_by_key(|c| c.uid);
        scanned.dedup_by_key(|c| c.uid);
        (scanned, None, 0)
    } else {
        let got = collector.finish();
        (got.changed, got.left_out, got.new_uids)
    };
    let now_next = state.uid_next.unwrap_or(u32::MAX);
    let gone = match (method, &req.known) {
        (Method::Qresync, _) => {
            vanished.sort_unstable();
            vanished.dedup();
            Some(vanished)
        }
        (_, None) => None,
        (Method::Scan, Some(known)) => {
            Some(missing(known, now_next, |u| changed.binary_search_by_key(&u, |c| c.uid).is_ok()))
        }
        (Method::Condstore, Some(known)) => {
            let candidates: Vec<u32> = known.iter().copied().filter(|&u| u < now_next).collect();
            let mut present = Vec::new();
            if let Some(set) = UidSet::ranges(&candidates) {
                conn.execute(&encode::uid_search_set(&set), |r| {
                    if let Response::MailboxData(MailboxDatum::Search(v)) = r {
                        present.extend_from_slice(v);
                    }
                })
                .await?;
            }
            present.sort_unstable();
            Some(missing(&candidates, now_next, |u| present.binary_search(&u).is_ok()))
        }
    };
    Ok(Outcome::Facts(Facts { state, method, changed, left_out, new_uids, gone, moved }))
}

/// Known UIDs below `uid_next` for which `exists` is false.
fn missing(known: &[u32], uid_next: u32, exists: impl Fn(u32) -> bool) -> Vec<u32> {
    known.iter().copied().filter(|&u| u < uid_next && !exists(u)).collect()
}

fn current_of(attrs: &[AttributeValue<'_>]) -> Option<Current> {
    let mut uid = None;
    let mut flags = Vec::new();
    let mut mod_seq = None;
    for a in attrs {
        match a {
            AttributeValue::Uid(u) => uid = Some(*u),
            AttributeValue::Flags(f) => flags = f.iter().map(|s| s.to_string()).collect(),
            AttributeValue::ModSeq(m) => mod_seq = Some(*m),
            _ => {}
        }
    }
    Some(Current { uid: uid?, flags, mod_seq })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_known_uids_are_those_below_uidnext_that_do_not_exist() {
        let present = [2u32, 4];
        assert_eq!(missing(&[1, 2, 3, 4, 9], 9, |u| present.contains(&u)), vec![1, 3]);
    }
}
