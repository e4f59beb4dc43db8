//! The `/changes` use case: from a state token to what changed since (created, updated and
//! destroyed UIDs) and the next token, by QRESYNC, CONDSTORE or a scan. [`plan`] turns the
//! token into the IMAP request, the caller runs it (`imap::changes::since`), and [`answer`]
//! turns its facts into the view and the next token (storing a scan snapshot when the next
//! token is a scan token).

use std::sync::Arc;

use crate::{
    convert,
    imap::changes::{MAX_GONE, Outcome, Request, SCAN_LIMIT},
    views::changes::{Changes, UpdatedMessage},
};

use super::{
    delta::{self, DeltaError, Next},
    snapshots::{Snapshot, Snapshots},
    token::{self, ModState, ScanState, Since},
};

/// Why no changes can be given.
#[derive(Debug)]
pub enum ChangesError {
    /// The scan snapshot of an `sc1.` token expired or is another instance's.
    SnapshotGone,
    /// UIDVALIDITY is not the token's.
    Stale {
        /// The token's UIDVALIDITY.
        known: u32,
        /// The mailbox's.
        current: u32,
    },
    /// A scan would read more than [`SCAN_LIMIT`] messages (`vanished`: false), or more than
    /// [`MAX_GONE`] UIDs were expunged (`vanished`: true).
    TooMany {
        /// Messages in the mailbox.
        exists: u32,
        /// Which limit was passed.
        vanished: bool,
    },
    /// `knownUids` is not a UID set (`too_many`: it names more than [`MAX_GONE`] UIDs).
    KnownUids {
        /// The set is too large, rather than malformed.
        too_many: bool,
    },
    /// Messages were expunged and nothing tells which (no QRESYNC, no known UIDs).
    NeedKnownUids {
        /// How many.
        missing: u32,
    },
}

/// One `/changes` question: the state it starts from and what to ask the server.
#[derive(Debug)]
pub struct Plan {
    old: ModState,
    snapshot: Option<Arc<Snapshot>>,
    /// The IMAP change query.
    pub request: Request,
}

impl Plan {
    /// The UIDVALIDITY the old state was for.
    pub fn uid_validity(&self) -> u32 {
        self.old.uid_validity
    }
}

/// The question for changes of `mailbox` since `since`: an `sc1.` token continues from its
/// snapshot (gone: [`ChangesError::SnapshotGone`]), an `ms1.` token from its own numbers.
/// `known_uids` is the caller's UID set; its UIDs are not clipped at the old UIDNEXT: after a
/// page cut the client may hold messages created since, whose deletion must be reported.
pub fn plan(
    snapshots: &Snapshots,
    account: &str,
    mailbox: &str,
    since: Since,
    known_uids: Option<&str>,
    collect_max: usize,
) -> Result<Plan, ChangesError> {
    let (old, snapshot) = match since {
        Since::Mod(m) => (m, None),
        Since::Scan(s) => {
            let snap = snapshots.get(account, mailbox, s.id).ok_or(ChangesError::SnapshotGone)?;
            let old =
                ModState { uid_validity: s.uid_validity, mod_seq: 0, uid_next: snap.uid_next, exists: 0, after_uid: 0 };
            (old, Some(snap))
        }
    };
    // UIDs at or above the old UIDNEXT did not exist at `since`: clipped before expanding.
    let known = known_uids.map(|k| parse_uids(k, old.uid_next)).transpose()?;
    let request = Request {
        mod_seq: old.mod_seq,
        after_uid: old.after_uid,
        uid_next: old.uid_next,
        known,
        scan_limit: SCAN_LIMIT,
        collect_max,
    };
    Ok(Plan { old, snapshot, request })
}

/// The answer to `plan` from the server's `outcome`, at most `max` changes; `old_state` is the
/// token the caller sent. A scan's next state is stored in `snapshots`.
pub fn answer(
    plan: Plan,
    outcome: Outcome,
    max: usize,
    snapshots: &Snapshots,
    account: &str,
    mailbox: &str,
    old_state: String,
) -> Result<Changes, ChangesError> {
    let facts = match outcome {
        Outcome::Facts(f) => f,
        Outcome::Stale { current } => return Err(ChangesError::Stale { known: plan.old.uid_validity, current }),
        Outcome::TooLarge { exists, vanished } => return Err(ChangesError::TooMany { exists, vanished }),
    };
    let d = delta::compute(&plan.old, plan.snapshot.as_deref(), &facts, max).map_err(|e| match e {
        DeltaError::NeedKnownUids { missing } => ChangesError::NeedKnownUids { missing },
    })?;
    let new_state = match d.next {
        Next::Mod(m) => token::mod_token(m),
        Next::Scan(snap) => {
            let uid_validity = snap.uid_validity;
            let id = snapshots.insert(account, mailbox, snap);
            token::scan_token(ScanState { uid_validity, id })
        }
    };
    let updated = d
        .updated
        .into_iter()
        .map(|c| {
            let (keywords, deleted) = convert::flags::keywords(&c.flags);
            UpdatedMessage { uid: c.uid, keywords, deleted, mod_seq: c.mod_seq.map(|m| m.to_string()) }
        })
        .collect();
    Ok(Changes {
        mailbox: mailbox.to_string(),
        old_state,
        new_state,
        has_more_changes: d.has_more,
        created: d.created,
        updated,
        destroyed: d.destroyed,
        sync_method: facts.method.as_str().into(),
    })
}

/// The longest `knownUids` (bytes): well inside the longest request line the server reads.
pub const KNOWN_UIDS_MAX: usize = 16 * 1024;

/// A UID set (`1:40,52`) as sorted UIDs below `uid_next`; ranges are clipped before they
/// are expanded, and the total is capped at [`MAX_GONE`].
fn parse_uids(set: &str, uid_next: u32) -> Result<Vec<u32>, ChangesError> {
    let bad = || ChangesError::KnownUids { too_many: false };
    if set.len() > KNOWN_UIDS_MAX {
        return Err(bad());
    }
    let top = uid_next.saturating_sub(1);
    let mut out = Vec::new();
    for item in set.split(',') {
        let (a, b) = item.split_once(':').unwrap_or((item, item));
        // An nz-number (RFC 3501): no sign, no leading zero.
        let number = |s: &str| {
            s.parse::<u32>().ok().filter(|&n| n > 0 && s.starts_with(|c: char| c.is_ascii_digit() && c != '0'))
        };
        let (a, b) = (number(a).ok_or_else(bad)?, number(b).ok_or_else(bad)?);
        let (lo, hi) = (a.min(b), a.max(b).min(top));
        if lo <= hi {
            if out.len() + (hi - lo) as usize >= MAX_GONE {
                return Err(ChangesError::KnownUids { too_many: true });
            }
            out.extend(lo..=hi);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_uids_are_clipped_to_the_old_uidnext() {
        assert_eq!(parse_uids("5,1:3,3,40:38", 40).expect("valid"), [1, 2, 3, 5, 38, 39]);
        assert_eq!(parse_uids("1:4294967295", 4).expect("valid"), [1, 2, 3]);
        assert!(parse_uids("1:4294967295", u32::MAX).is_err(), "too many to expand");
        for bad in ["", "0", "1:*", "a", "1,,2", "+1", "1:2:3", "01", "1:02", "4294967296"] {
            assert!(parse_uids(bad, 10).is_err(), "{bad}");
        }
    }
}
