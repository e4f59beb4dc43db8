//! The `/changes` delta from raw facts: created, updated and destroyed UIDs relative to an old
//! state, cut to `maxChanges` with an intermediate state that continues where the page ended.
//! With MODSEQ the intermediate state is the (MODSEQ, UID) of the page's last change; with a
//! scan it is a snapshot.

use std::collections::HashMap;

use super::{
    snapshots::{Snapshot, UNKNOWN, digest},
    token::ModState,
};
use crate::imap::{
    changes::{Facts, Method},
    collect::{Current, key},
};

/// One page of changes.
#[derive(Debug, PartialEq, Eq)]
pub struct Delta {
    /// New UIDs, ascending.
    pub created: Vec<u32>,
    /// Changed messages with their current flags, ascending by UID.
    pub updated: Vec<Current>,
    /// Gone UIDs, ascending. Never cut: they are only numbers.
    pub destroyed: Vec<u32>,
    /// True if `next` is an intermediate state and more changes follow.
    pub has_more: bool,
    /// The state the client has after applying this page.
    pub next: Next,
}

/// The new state.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// An `ms1.` state.
    Mod(ModState),
    /// A snapshot to keep; its id becomes an `sc1.` token.
    Scan(Snapshot),
}

/// Why no delta can be given.
#[derive(Debug, PartialEq, Eq)]
pub enum DeltaError {
    /// Messages were expunged, nothing says which, and the caller sent no `knownUids`.
    NeedKnownUids {
        /// How many are gone.
        missing: u32,
    },
}

/// The delta since `old` (an `ms1.` state), or since `snapshot` for a scan with an `sc1.` token.
pub fn compute(old: &ModState, snapshot: Option<&Snapshot>, facts: &Facts, max: usize) -> Result<Delta, DeltaError> {
    match facts.method {
        Method::Qresync | Method::Condstore => by_mod_seq(old, facts, max),
        Method::Scan => {
            let synthesized;
            let base = match snapshot {
                Some(s) => s,
                None => {
                    synthesized = synthesize(old, facts)?;
                    &synthesized
                }
            };
            Ok(by_scan(base, facts, max))
        }
    }
}

fn uid_next_now(facts: &Facts) -> u32 {
    facts.state.uid_next.unwrap_or(u32::MAX)
}

/// Messages below the old UIDNEXT that are gone, when only counts can tell.
fn count_missing(old: &ModState, still_there: usize) -> Result<(), DeltaError> {
    let missing = i64::from(old.exists) - still_there as i64;
    if missing > 0 { Err(DeltaError::NeedKnownUids { missing: missing as u32 }) } else { Ok(()) }
}

fn by_mod_seq(old: &ModState, facts: &Facts, max: usize) -> Result<Delta, DeltaError> {
    let now = &facts.state;
    let destroyed = match &facts.gone {
        Some(gone) => gone.clone(),
        None => {
            count_missing(old, (now.exists as usize).saturating_sub(facts.new_uids))?;
            Vec::new()
        }
    };
    // Only what the EXAMINE state covers: a message added or changed after it is reported
    // from that state next time, not twice.
    let covered =
        |c: &&Current| c.uid < uid_next_now(facts) && now.highest_mod_seq.is_none_or(|h| c.mod_seq.unwrap_or(0) <= h);
    let mut changed: Vec<Current> = facts.changed.iter().filter(covered).cloned().collect();
    changed.sort_unstable_by_key(key);
    // A page ends after exactly its budget in (MODSEQ, UID) order; the facts may hold only the
    // first changes of a longer list (`left_out` is the next one).
    let take = if destroyed.len() + changed.len() > max && !changed.is_empty() {
        max.saturating_sub(destroyed.len()).clamp(1, changed.len())
    } else {
        changed.len()
    };
    let next_key = changed.get(take).map(key).or(facts.left_out);
    let cut = match (take.checked_sub(1).map(|i| key(&changed[i])), next_key) {
        // The next change shares the last one's MODSEQ: resume inside it, after its UID.
        (Some((m, uid)), Some((n, _))) if n == m => Some((m.saturating_sub(1), uid)),
        (Some((m, _)), Some(_)) => Some((m, 0)),
        // Nothing kept but something left out: cannot happen with a limit of at least 1.
        (None, Some(_)) => Some((old.mod_seq, old.after_uid)),
        (_, None) => None,
    };
    changed.truncate(take);
    changed.sort_unstable_by_key(|c| c.uid);
    let (created, updated): (Vec<Current>, Vec<Current>) = changed.into_iter().partition(|c| c.uid >= old.uid_next);
    let next = match cut {
        Some((mod_seq, after_uid)) => ModState {
            uid_validity: old.uid_validity,
            mod_seq,
            uid_next: old.uid_next,
            exists: (old.exists as usize + created.len()).saturating_sub(destroyed.len()) as u32,
            after_uid,
        },
        None => ModState {
            uid_validity: now.uid_validity.unwrap_or(0),
            mod_seq: now.highest_mod_seq.unwrap_or(0),
            uid_next: now.uid_next.unwrap_or(0),
            exists: now.exists,
            after_uid: 0,
        },
    };
    Ok(Delta {
        created: created.into_iter().map(|c| c.uid).collect(),
        updated,
        destroyed,
        has_more: cut.is_some(),
        next: Next::Mod(next),
    })
}

/// A base snapshot for a scan from an `ms1.` state: every message below its UIDNEXT that still
/// exists, flags unknown (so reported as updated); deletions only from `knownUids` or counts.
fn synthesize(old: &ModState, facts: &Facts) -> Result<Snapshot, DeltaError> {
    let mut entries: Vec<(u32, u64)> =
        facts.changed.iter().filter(|c| c.uid < old.uid_next).map(|c| (c.uid, UNKNOWN)).collect();
    match &facts.gone {
        Some(gone) => entries.extend(gone.iter().map(|&u| (u, UNKNOWN))),
        None => count_missing(old, entries.len())?,
    }
    entries.sort_unstable();
    entries.dedup_by_key(|e| e.0);
    Ok(Snapshot { uid_validity: old.uid_validity, uid_next: old.uid_next, entries })
}

fn by_scan(base: &Snapshot, facts: &Facts, max: usize) -> Delta {
    let current: HashMap<u32, &Current> = facts.changed.iter().map(|c| (c.uid, c)).collect();
    let known: HashMap<u32, u64> = base.entries.iter().copied().collect();
    let destroyed: Vec<u32> = base.entries.iter().map(|e| e.0).filter(|u| !current.contains_key(u)).collect();
    // facts.changed is sorted by UID, so the changes come out in UID order.
    let changes: Vec<(&Current, bool)> = facts
        .changed
        .iter()
        .filter_map(|c| match known.get(&c.uid) {
            None => Some((c, true)),
            Some(&d) if d == UNKNOWN || d != digest(&c.flags) => Some((c, false)),
            Some(_) => None,
        })
        .collect();
    let take = if destroyed.len() + changes.len() > max {
        max.saturating_sub(destroyed.len()).clamp(1, changes.len().max(1)).min(changes.len())
    } else {
        changes.len()
    };
    let has_more = take < changes.len();
    let page = &changes[..take];
    let next = if has_more {
        let mut entries: HashMap<u32, u64> = known;
        for u in &destroyed {
            entries.remove(u);
        }
        for (c, _) in page {
            entries.insert(c.uid, digest(&c.flags));
        }
        let mut entries: Vec<(u32, u64)> = entries.into_iter().collect();
        entries.sort_unstable();
        Snapshot { uid_validity: base.uid_validity, uid_next: base.uid_next, entries }
    } else {
        Snapshot {
            uid_validity: facts.state.uid_validity.unwrap_or(0),
            uid_next: uid_next_now(facts),
            entries: facts.changed.iter().map(|c| (c.uid, digest(&c.flags))).collect(),
        }
    };
    Delta {
        created: page.iter().filter(|(_, new)| *new).map(|(c, _)| c.uid).collect(),
        updated: page.iter().filter(|(_, new)| !*new).map(|(c, _)| (*c).clone()).collect(),
        destroyed,
        has_more,
        next: Next::Scan(next),
    }
}

#[cfg(test)]
#[path = "delta_tests.rs"]
mod tests;
