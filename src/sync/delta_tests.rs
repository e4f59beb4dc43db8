//! Tests of the delta: created, updated and destroyed from the facts, and maxChanges paging.

use super::*;
use crate::imap::select_state::SelectState;

fn cur(uid: u32, flags: &[&str], mod_seq: Option<u64>) -> Current {
    Current { uid, flags: flags.iter().map(|s| s.to_string()).collect(), mod_seq }
}

fn facts(
    method: Method,
    exists: u32,
    uid_next: u32,
    mod_seq: u64,
    changed: Vec<Current>,
    gone: Option<Vec<u32>>,
) -> Facts {
    let state = SelectState {
        exists,
        uid_validity: Some(7),
        uid_next: Some(uid_next),
        highest_mod_seq: (method != Method::Scan).then_some(mod_seq),
        ..Default::default()
    };
    // Every change is in the facts; those from OLD's UIDNEXT on are new.
    let new_uids = changed.iter().filter(|c| c.uid >= OLD.uid_next && c.uid < uid_next).count();
    Facts { state, method, changed, left_out: None, new_uids, gone, moved: false }
}

const OLD: ModState = ModState { uid_validity: 7, mod_seq: 10, uid_next: 6, exists: 5, after_uid: 0 };

#[test]
fn qresync_splits_created_updated_and_destroyed() {
    // 1..5 existed; 2 flagged, 4 expunged, 6 and 7 appended.
    let f = facts(
        Method::Qresync,
        6,
        8,
        14,
        vec![cur(2, &["\\Flagged"], Some(11)), cur(6, &[], Some(12)), cur(7, &[], Some(13))],
        Some(vec![4]),
    );
    let d = compute(&OLD, None, &f, 100).expect("delta");
    assert_eq!(d.created, [6, 7]);
    assert_eq!(d.updated, [cur(2, &["\\Flagged"], Some(11))]);
    assert_eq!(d.destroyed, [4]);
    assert!(!d.has_more);
    assert_eq!(d.next, Next::Mod(ModState { uid_validity: 7, mod_seq: 14, uid_next: 8, exists: 6, after_uid: 0 }));
}

#[test]
fn condstore_without_known_uids_refuses_when_counts_show_a_deletion() {
    let f = facts(Method::Condstore, 6, 8, 14, vec![cur(6, &[], Some(12)), cur(7, &[], Some(13))], None);
    assert_eq!(compute(&OLD, None, &f, 100), Err(DeltaError::NeedKnownUids { missing: 1 }));
    // No deletion: the count proves it, so no knownUids are needed.
    let f = facts(Method::Condstore, 7, 8, 14, vec![cur(6, &[], Some(12)), cur(7, &[], Some(13))], None);
    assert_eq!(compute(&OLD, None, &f, 100).expect("delta").destroyed, Vec::<u32>::new());
}

#[test]
fn mod_seq_pages_end_after_their_budget_even_inside_one_mod_seq() {
    let changed = vec![cur(1, &[], Some(11)), cur(2, &[], Some(12)), cur(3, &[], Some(12)), cur(6, &[], Some(13))];
    let f = facts(Method::Condstore, 6, 7, 13, changed, Some(vec![]));
    let d = compute(&OLD, None, &f, 2).expect("delta");
    assert_eq!((d.updated.len(), d.created.len(), d.has_more), (2, 0, true), "11 and the first 12");
    assert_eq!(d.next, Next::Mod(ModState { mod_seq: 11, after_uid: 2, ..OLD }), "resume inside 12, after UID 2");
    let d = compute(&OLD, None, &f, 3).expect("delta");
    assert_eq!(d.next, Next::Mod(ModState { mod_seq: 12, ..OLD }), "12 is whole: resume after it");
}

#[test]
fn scan_against_a_snapshot_is_exact_and_pages_through_snapshots() {
    let base = Snapshot {
        uid_validity: 7,
        uid_next: 4,
        entries: vec![(1, digest(&["\\Seen"])), (2, digest::<&str>(&[])), (3, digest::<&str>(&[]))],
    };
    let now = vec![cur(1, &["\\Seen"], None), cur(2, &["\\Flagged"], None), cur(4, &[], None), cur(5, &[], None)];
    let f = facts(Method::Scan, 4, 6, 0, now, None);
    let d = compute(&OLD, Some(&base), &f, 100).expect("delta");
    assert_eq!((d.created.as_slice(), d.destroyed.as_slice()), (&[4, 5][..], &[3][..]));
    assert_eq!(d.updated.iter().map(|c| c.uid).collect::<Vec<_>>(), [2]);
    assert!(!d.has_more);
    // Two changes per page: destroyed 3 plus updated 2 first, then 4 and 5.
    let d1 = compute(&OLD, Some(&base), &f, 2).expect("delta");
    assert!(d1.has_more);
    assert_eq!((d1.destroyed.as_slice(), d1.updated.len(), d1.created.len()), (&[3][..], 1, 0));
    let Next::Scan(mid) = d1.next else { panic!("scan state") };
    let d2 = compute(&OLD, Some(&mid), &f, 2).expect("delta");
    assert_eq!((d2.created.as_slice(), d2.updated.len(), d2.destroyed.len(), d2.has_more), (&[4, 5][..], 0, 0, false));
}

#[test]
fn scan_from_a_mod_state_reports_every_survivor_as_updated() {
    let now = vec![cur(1, &[], None), cur(2, &[], None), cur(3, &[], None), cur(4, &[], None), cur(5, &[], None)];
    let f = facts(Method::Scan, 5, 6, 0, now, None);
    let d = compute(&OLD, None, &f, 100).expect("delta");
    assert_eq!((d.created.len(), d.updated.len(), d.destroyed.len()), (0, 5, 0));
    let f = facts(Method::Scan, 4, 6, 0, vec![cur(1, &[], None)], Some(vec![3]));
    let d = compute(&OLD, None, &f, 100).expect("delta");
    assert_eq!(d.destroyed, [3]);
    let f = facts(Method::Scan, 4, 6, 0, vec![cur(1, &[], None)], None);
    assert_eq!(compute(&OLD, None, &f, 100), Err(DeltaError::NeedKnownUids { missing: 4 }));
}

#[test]
fn changes_after_the_examine_wait_for_the_next_answer() {
    // EXAMINE saw UIDNEXT 7 and HIGHESTMODSEQ 12; the fetch already returned UID 7 (appended
    // after it) and UID 1 changed at 13: both belong to the next answer, not this one.
    let changed = vec![cur(1, &["\\Seen"], Some(13)), cur(6, &[], Some(12)), cur(7, &[], Some(14))];
    let f = facts(Method::Qresync, 6, 7, 12, changed, Some(vec![]));
    let d = compute(&OLD, None, &f, 100).expect("delta");
    assert_eq!((d.created.as_slice(), d.updated.len()), (&[6][..], 0));
    assert_eq!(d.next, Next::Mod(ModState { uid_validity: 7, mod_seq: 12, uid_next: 7, exists: 6, after_uid: 0 }));
}

/// A server with 100 old messages (all flagged by one STORE at MODSEQ 50) and 200 new ones,
/// 120 of them appended in one transaction (one MODSEQ); walking pages with a small collector
/// yields every change once, each page within its bounds.
#[test]
fn pages_from_a_bounded_collector_yield_every_change_exactly_once() {
    use crate::imap::collect::{Collector, Cursor, Window};
    let mut server: Vec<Current> = (1..=100).map(|u| cur(u, &["\\Flagged"], Some(50))).collect();
    server
        .extend((101..=300).map(|u| cur(u, &[], Some(if (150..270).contains(&u) { 60 } else { 100 + u64::from(u) }))));
    let highest = 400;
    let serve = |m: &ModState, limit: usize, method: Method| {
        let cursor = Cursor { mod_seq: m.mod_seq, after_uid: m.after_uid };
        let window = Window { cursor, old_uid_next: m.uid_next, uid_next: 301, highest: Some(highest) };
        let mut c = Collector::new(limit, window);
        for x in server.iter().filter(|x| x.mod_seq.unwrap_or(0) > m.mod_seq) {
            c.offer(x.clone());
            assert!(c.len() <= limit);
        }
        let got = c.finish();
        let mut f = facts(method, 300, 301, highest, got.changed, (method == Method::Qresync).then(Vec::new));
        (f.left_out, f.new_uids) = (got.left_out, got.new_uids);
        f
    };
    for method in [Method::Qresync, Method::Condstore] {
        for (limit, max) in [(7, 10), (10, 7), (1000, 25), (1, 1), (300, 10_000)] {
            let mut state = ModState { uid_validity: 7, mod_seq: 10, uid_next: 101, exists: 100, after_uid: 0 };
            let (mut created, mut updated, mut pages) = (Vec::new(), Vec::new(), 0);
            loop {
                let d = compute(&state, None, &serve(&state, limit, method), max).expect("delta");
                let size = d.created.len() + d.updated.len();
                assert!(size <= max.min(limit) && size > 0, "{method:?} {limit}/{max}: page of {size}");
                created.extend(d.created);
                updated.extend(d.updated.iter().map(|c| c.uid));
                pages += 1;
                let Next::Mod(next) = d.next else { panic!("mod state") };
                state = next;
                if !d.has_more {
                    break;
                }
            }
            created.sort_unstable();
            updated.sort_unstable();
            assert_eq!(created, (101..=300).collect::<Vec<_>>(), "{method:?} {limit}/{max}");
            assert_eq!(updated, (1..=100).collect::<Vec<_>>(), "{method:?} {limit}/{max}");
            assert_eq!(pages, 300usize.div_ceil(max.min(limit)), "{method:?} {limit}/{max}");
            assert_eq!(state, ModState { uid_validity: 7, mod_seq: highest, uid_next: 301, exists: 300, after_uid: 0 });
        }
    }
}
