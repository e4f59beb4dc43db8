//! Summaries from the server in bounded memory and time: UID, FLAGS, dates, size, structure
//! and the first reference first; then the ENVELOPE of messages whose header is small, and
//! bounded excerpts of the summary's header fields for the others (a 2 MB To header costs
//! 16 KiB, not a long ENVELOPE line parsed again and again as it arrives); then the first
//! bytes of each preview's part, one FETCH per section; every summary is cut to its budget
//! (`convert::bounded`).

use std::collections::{BTreeMap, HashMap, HashSet};

use async_imap::imap_proto::{AttributeValue, Response};

use super::{
    encode::{self, FetchItem, Section, UidSet},
    error::ImapError,
    read::summary_items,
    session::ImapConn,
};
use crate::{
    convert::{
        self,
        bounded::{self, ENVELOPE_HEADER_MAX, FIELD_EXCERPT, SUMMARY_FIELDS},
        message::Skeleton,
        preview,
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

/// Encoded bytes of part 1 fetched with the structure, on speculation: part 1 is the preview's
/// part of most messages, and these bytes hold all of it that a plain-text preview needs.
const SPECULATE_PREVIEW: u32 = preview::PLAIN_SOURCE;

/// Full summaries of `wanted` (in server order; expunged ones are missing).
pub(super) async fn fetch(
    conn: &mut ImapConn,
    uid_validity: u32,
    wanted: Wanted<'_>,
) -> Result<Vec<MessageSummary>, ImapError> {
    let asked = wanted.asked();
    let mut items: Vec<FetchItem> = summary_items(conn).into_iter().filter(|i| *i != FetchItem::Envelope).collect();
    items.push(FetchItem::BodyPeek(Section::parse("1")?, Some((0, SPECULATE_PREVIEW))));
    let Some(cmd) = wanted.command(&items) else { return Ok(Vec::new()) };
    let mut found: HashMap<u32, Skeleton> = HashMap::new();
    let mut part1: HashMap<u32, Vec<u8>> = HashMap::new();
    conn.execute(&cmd, |r| {
        // Only the answer to this FETCH: an unsolicited flag update of the same message (it
        // carries a UID under QRESYNC) has no structure and must not become a summary.
        if let Response::Fetch(seq, attrs) = r
            && let Some(s) = convert::message::skeleton(uid_validity, attrs)
            && wanted.wants(*seq, s.summary.uid, &asked)
        {
            if let Some(bytes) = section_bytes(attrs, "1") {
                part1.insert(s.summary.uid, bytes.to_vec());
            }
            found.insert(s.summary.uid, s);
        }
    })
    .await?;
    let (mut small, mut big): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    for (uid, s) in &found {
        if s.header <= ENVELOPE_HEADER_MAX { small.push(*uid) } else { big.push(*uid) }
    }
    let mut done: Vec<Skeleton> = Vec::with_capacity(found.len());
    if let Some(set) = UidSet::list(&sorted(small)) {
        conn.execute(&encode::uid_fetch(&set, &[FetchItem::Uid, FetchItem::Envelope]), |r| {
            if let Response::Fetch(_, attrs) = r
                && let Some(uid) = convert::message::uid_of(attrs)
                && let Some(mut s) = found.remove(&uid)
            {
                if convert::message::fill_envelope(&mut s.summary, attrs) {
                    done.push(s);
                } else {
                    s.header = 0;
                    found.insert(uid, s);
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
                && let Some(mut s) = found.remove(&uid)
            {
                let excerpts: Vec<&[u8]> = attrs
                    .iter()
                    .filter_map(|a| match a {
                        AttributeValue::BodySection { data, .. } => data.as_deref(),
                        _ => None,
                    })
                    .collect();
                bounded::fill_from_excerpts(&mut s.summary, &excerpts);
                done.push(s);
            }
        })
        .await?;
    }
    // Those the second FETCH did not return were expunged meanwhile.
    fill_previews(conn, &mut done, &part1).await?;
    Ok(done
        .into_iter()
        .map(|mut s| {
            convert::message::set_ids(&mut s.summary, s.reference.as_deref());
            bounded::bound(&mut s.summary);
            s.summary
        })
        .collect())
}

/// The bytes of body section `name` (`1`, `1.2`) in a FETCH answer.
fn section_bytes<'a>(attrs: &'a [AttributeValue<'_>], name: &str) -> Option<&'a [u8]> {
    attrs.iter().find_map(|a| match a {
        AttributeValue::BodySection { section: Some(path), data, .. }
            if super::full_message::section_name(Some(path)).as_deref() == Some(name) =>
        {
            Some(data.as_deref().unwrap_or_default())
        }
        _ => None,
    })
}

/// The previews of `done`: from the speculative bytes of part 1 where they hold all a preview
/// needs, else from the first bytes of each one's text part, one FETCH per section (most
/// messages share one or two: `1`, `1.1`).
async fn fill_previews(
    conn: &mut ImapConn,
    done: &mut [Skeleton],
    part1: &HashMap<u32, Vec<u8>>,
) -> Result<(), ImapError> {
    let mut by_section: BTreeMap<String, (Vec<u32>, u32)> = BTreeMap::new();
    for s in done.iter_mut() {
        if let Some(src) = &s.preview {
            let need = src.fetch_len().min(src.encoded_size) as usize;
            if let Some(bytes) = part1.get(&s.summary.uid).filter(|b| src.section == "1" && b.len() >= need) {
                let cut = bytes.len().min(src.fetch_len() as usize);
                s.summary.preview = preview::from_encoded(src, &bytes[..cut]);
                continue;
            }
            let group = by_section.entry(src.section.clone()).or_default();
            group.0.push(s.summary.uid);
            group.1 = group.1.max(src.fetch_len());
        }
    }
    let at: HashMap<u32, usize> = done.iter().enumerate().map(|(i, s)| (s.summary.uid, i)).collect();
    for (section, (uids, len)) in by_section {
        let Some(set) = UidSet::list(&sorted(uids)) else { continue };
        // A part nested deeper than a section can name has no preview (the summary stays).
        let Ok(part) = Section::parse(&section) else { continue };
        let items = [FetchItem::Uid, FetchItem::BodyPeek(part, Some((0, len)))];
        conn.execute(&encode::uid_fetch(&set, &items), |r| {
            if let Response::Fetch(_, attrs) = r
                && let Some(uid) = convert::message::uid_of(attrs)
                && let Some(s) = at.get(&uid).and_then(|&i| done.get_mut(i))
                && let Some(src) = &s.preview
                && let Some(bytes) = section_bytes(attrs, &section)
            {
                s.summary.preview = preview::from_encoded(src, bytes);
            }
        })
        .await?;
    }
    Ok(())
}

fn sorted(mut uids: Vec<u32>) -> Vec<u32> {
    uids.sort_unstable();
    uids
}
