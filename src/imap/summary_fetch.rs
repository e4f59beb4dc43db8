//! Summaries from the server in bounded memory and time: UID, FLAGS, dates, size and structure
//! first; then the ENVELOPE of messages whose header is small, and bounded excerpts of the
//! summary's header fields for the others (a 2 MB To header costs 16 KiB, not a long ENVELOPE
//! line parsed again and again as it arrives); every summary is cut to its budget
//! (`convert::bounded`).

use std::collections::{HashMap, HashSet};

use async_imap::imap_proto::{AttributeValue, Response};

use super::{
    encode::{self, FetchItem, UidSet},
    error::ImapError,
    read::summary_items,
    session::ImapConn,
};
use crate::{
    convert::{
        self,
        bounded::{self, ENVELOPE_HEADER_MAX, FIELD_EXCERPT, SUMMARY_FIELDS},
    },
    views::message::MessageSummary,
};

/// Which messages to fetch.
#[derive(Clone, Copy)]
pub(super) enum Wanted<'a> {
    /// These UIDs.
    Uids(&'a [u32]),
    /// Sequence numbers `from..=to`.
    Sequence(u32, u32),
}

impl Wanted<'_> {
    pub(super) fn asked(&self) -> HashSet<u32> {
        match *self {
            Wanted::Uids(uids) => uids.iter().copied().collect(),
            Wanted::Sequence(..) => HashSet::new(),
        }
    }

    pub(super) fn command(&self, items: &[FetchItem]) -> Option<encode::Command> {
        match *self {
            Wanted::Uids(uids) => UidSet::list(uids).map(|set| encode::uid_fetch(&set, items)),
            Wanted::Sequence(from, to) => Some(encode::fetch_sequence(from, to, items)),
        }
    }

    /// True if a FETCH response (sequence number, UID) is one asked for, not an unsolicited
    /// flag update of another message.
    pub(super) fn wants(&self, seq: u32, uid: u32, uids: &HashSet<u32>) -> bool {
        match *self {
            Wanted::Uids(_) => uids.contains(&uid),
            Wanted::Sequence(from, to) => (from..=to).contains(&seq),
        }
    }
}

/// Full summaries of `wanted` (in server order; expunged ones are missing).
pub(super) async fn fetch(
    conn: &mut ImapConn,
    uid_validity: u32,
    wanted: Wanted<'_>,
) -> Result<Vec<MessageSummary>, ImapError> {
    let asked = wanted.asked();
    let items: Vec<FetchItem> = summary_items(conn).into_iter().filter(|i| *i != FetchItem::Envelope).collect();
    let Some(cmd) = wanted.command(&items) else { return Ok(Vec::new()) };
    let mut found: HashMap<u32, (MessageSummary, u64)> = HashMap::new();
    conn.execute(&cmd, |r| {
        // Only the answer to this FETCH: an unsolicited flag update of the same message (it
        // carries a UID under QRESYNC) has no structure and must not become a summary.
        if let Response::Fetch(seq, attrs) = r
            && let Some((s, header)) = convert::message::skeleton(uid_validity, attrs)
            && wanted.wants(*seq, s.uid, &asked)
        {
            found.insert(s.uid, (s, header));
        }
    })
    .await?;
    let (mut small, mut big): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    for (uid, (_, header)) in &found {
        if *header <= ENVELOPE_HEADER_MAX { small.push(*uid) } else { big.push(*uid) }
    }
    let mut done = Vec::with_capacity(found.len());
    if let Some(set) = UidSet::list(&sorted(small)) {
        conn.execute(&encode::uid_fetch(&set, &[FetchItem::Uid, FetchItem::Envelope]), |r| {
            if let Response::Fetch(_, attrs) = r
                && let Some(uid) = convert::message::uid_of(attrs)
                && let Some((mut s, _)) = found.remove(&uid)
            {
                if convert::message::fill_envelope(&mut s, attrs) {
                    done.push(s);
                } else {
                    found.insert(uid, (s, 0));
                }
            }
        })
        .await?;
    }
    if let Some(set) = UidSet::list(&sorted(big)) {
        let mut items = vec![FetchItem::Uid];
        items.extend(SUMMARY_FIELDS.iter().map(|f| FetchItem::HeaderField(f, FIELD_EXCERPT)));
        conn.execute(&encode::uid_fetch(&set, &items), |r| {
            if let Response::Fetch(_, attrs) = r
                && let Some(uid) = convert::message::uid_of(attrs)
                && attrs.iter().any(|a| matches!(a, AttributeValue::BodySection { .. }))
                && let Some((mut s, _)) = found.remove(&uid)
            {
                let excerpts: Vec<&[u8]> = attrs
                    .iter()
                    .filter_map(|a| match a {
                        AttributeValue::BodySection { data, .. } => data.as_deref(),
                        _ => None,
                    })
                    .collect();
                bounded::fill_from_excerpts(&mut s, &excerpts);
                done.push(s);
            }
        })
        .await?;
    }
    // Those the second FETCH did not return were expunged meanwhile.
    for s in &mut done {
        bounded::bound(s);
    }
    Ok(done)
}

fn sorted(mut uids: Vec<u32>) -> Vec<u32> {
    uids.sort_unstable();
    uids
}
