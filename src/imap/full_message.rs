//! The full message over one pooled connection: envelope, body structure and flags, with the
//! body values of its text and HTML parts decoded to UTF-8 and cut at a size (fetched
//! partially, so big parts never come over the wire whole). With a cache scope, a message read
//! before with the same limit costs one FETCH of FLAGS and MODSEQ (its content is immutable),
//! and with another limit one FETCH of those and its text parts. Read-only: `BODY.PEEK` only.

use async_imap::imap_proto::{AttributeValue, Response, SectionPath};

use super::{
    cache::{CacheScope, CachedMessage},
    encode::{self, FetchItem, MailboxName, Section, UidSet},
    error::ImapError,
    read::{Read, examine_checked, flag_items, summary_items},
    session::ImapConn,
};
use crate::{
    convert::{self, preview, text},
    views::message::{BodyPart, BodyValue, Message},
};

/// The name of a body section in a FETCH answer (`1.2`), for parts only.
pub(super) fn section_name(section: Option<&SectionPath>) -> Option<String> {
    match section {
        Some(SectionPath::Part(path, None)) => Some(path.iter().map(u32::to_string).collect::<Vec<_>>().join(".")),
        _ => None,
    }
}

/// Finds the node with `id` in a tree.
pub(super) fn find<'a>(part: &'a BodyPart, id: &str) -> Option<&'a BodyPart> {
    if part.part_id.as_deref() == Some(id) {
        return Some(part);
    }
    part.sub_parts.iter().find_map(|p| find(p, id))
}

/// Bytes of parts fetched along with the structure of a message read for the first time, on
/// speculation: part 1 is the text of most messages, part 2 the HTML of a text and HTML
/// alternative (a second round trip for a third of typical mail without it). Part 2 takes
/// less, as it is an attachment as often. A part the message does not have comes back empty
/// (Dovecot, Cyrus); a server that refuses the FETCH for it is asked again for part 1 only.
const SPECULATE: [(&str, u32); 2] = [("1", 64 * 1024), ("2", 16 * 1024)];

/// One text part to show.
#[derive(Clone, Debug)]
struct Wanted {
    section: String,
    encoding: Option<String>,
    charset: Option<String>,
    /// Encoded size.
    size: u32,
    /// Encoded bytes to fetch at most: enough for the limit, and for the preview of its part.
    budget: u32,
    /// The preview's source, when this is its part.
    preview: Option<preview::Source>,
}

fn wanted_parts(msg: &Message, max_value_bytes: u32) -> Vec<Wanted> {
    let preview = preview::source(&msg.body_structure);
    let mut wanted: Vec<Wanted> = Vec::new();
    for r in msg.text_body.iter().chain(&msg.html_body) {
        if r.r#type.starts_with("text/") && !wanted.iter().any(|w| w.section == r.part_id) {
            let part = find(&msg.body_structure, &r.part_id);
            let encoding = part.and_then(|p| p.imap.encoding.clone());
            let mut budget = text::encoded_budget(encoding.as_deref(), max_value_bytes);
            let preview = preview.as_ref().filter(|p| p.section == r.part_id).cloned();
            if let Some(src) = &preview {
                budget = budget.max(src.fetch_len());
            }
            let size = part.and_then(|p| p.imap.encoded_size).unwrap_or(0);
            let charset = r.charset.clone();
            wanted.push(Wanted { section: r.part_id.clone(), encoding, charset, size, budget, preview });
        }
    }
    wanted
}

fn part_items(wanted: &[Wanted]) -> Result<Vec<FetchItem>, ImapError> {
    let mut items = Vec::new();
    for w in wanted {
        let partial = (w.size > w.budget).then_some((0, w.budget));
        items.push(FetchItem::BodyPeek(Section::parse(&w.section)?, partial));
    }
    Ok(items)
}

fn sections_of(attrs: &[AttributeValue<'_>], raw: &mut Vec<(String, Vec<u8>)>) {
    for a in attrs {
        if let AttributeValue::BodySection { section, data, .. } = a
            && let Some(name) = section_name(section.as_ref())
        {
            raw.push((name, data.as_deref().unwrap_or_default().to_vec()));
        }
    }
}

/// The body values of the wanted parts, and the preview from its part.
fn decode_values(msg: &mut Message, wanted: Vec<Wanted>, raw: &[(String, Vec<u8>)], max_value_bytes: u32) {
    let html_parts: Vec<String> =
        msg.html_body.iter().filter(|r| r.r#type == "text/html").map(|r| r.part_id.clone()).collect();
    for w in wanted {
        let Some((_, bytes)) = raw.iter().find(|(s, _)| *s == w.section) else { continue };
        let cut_on_wire = w.size > w.budget;
        let (mut decoded, bad_transfer) = text::transfer(bytes, w.encoding.as_deref(), cut_on_wire);
        if let Some(src) = &w.preview {
            msg.summary.preview = preview::from_decoded(src, decoded.clone(), cut_on_wire);
        }
        if cut_on_wire {
            text::drop_partial_tail(&mut decoded, w.charset.as_deref());
        }
        let (value, bad_charset) = text::body(&decoded, w.charset.as_deref());
        // JSON text uses LF line ends (as JMAP's bodyValues do).
        let mut value = value.replace("\r\n", "\n");
        let cut = text::truncate(&mut value, max_value_bytes as usize);
        let html = html_parts.contains(&w.section).then(|| "untrusted".to_string());
        let is_encoding_problem = bad_transfer || bad_charset;
        let body = BodyValue { value, is_encoding_problem, is_truncated: cut_on_wire || cut, html };
        msg.body_values.insert(w.section, body);
    }
}

/// The full message `uid` of `mailbox`, its parts' download URLs left empty (the HTTP layer's).
pub async fn message(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uid: u32,
    expect_uid_validity: Option<u32>,
    max_value_bytes: u32,
    cache: Option<CacheScope<'_>>,
) -> Result<Read<Message>, ImapError> {
    let uid_validity = match examine_checked(conn, mailbox, expect_uid_validity, Some(uid)).await? {
        Ok(s) => s.uid_validity.unwrap_or(0),
        Err(current) => return Ok(Read::Stale { current }),
    };
    let cache = cache.filter(|c| c.messages.enabled());
    let key = cache.map(|c| c.key(mailbox, uid_validity, uid));
    let cached = cache.zip(key.as_ref()).and_then(|(c, k)| c.messages.get(k));
    let read = match cached {
        Some(CachedMessage { message, values_for }) if values_for == Some(max_value_bytes) => {
            return refreshed(conn, message, uid).await;
        }
        Some(CachedMessage { message, .. }) => cached_structure(conn, message, uid, max_value_bytes).await?,
        None => first_read(conn, uid_validity, uid, max_value_bytes).await?,
    };
    if let (Some(c), Some(k), Read::Found(msg)) = (cache, key, &read) {
        let mut entry = CachedMessage { message: msg.clone(), values_for: Some(max_value_bytes) };
        if !c.messages.fits(&entry) {
            // Too big to keep whole: keep the structure (if that fits), fetch the text again.
            entry.message.body_values.clear();
            entry.values_for = None;
        }
        c.messages.put(k, entry);
    }
    Ok(read)
}

/// A message not cached: its summary, structure and the first bytes of parts 1 and 2 in one
/// FETCH, then the text parts those bytes do not cover.
async fn first_read(
    conn: &mut ImapConn,
    uid_validity: u32,
    uid: u32,
    max_value_bytes: u32,
) -> Result<Read<Message>, ImapError> {
    let (found, speculated) = match structure_and_parts(conn, uid_validity, uid, &SPECULATE).await {
        Err(ImapError::Bad(_) | ImapError::No(_)) => {
            structure_and_parts(conn, uid_validity, uid, &SPECULATE[..1]).await?
        }
        other => other?,
    };
    let Some(mut msg) = found else { return Ok(Read::NotFound) };
    let wanted = wanted_parts(&msg, max_value_bytes);
    // Speculative bytes serve a part if they hold all of what would have been fetched.
    let mut raw: Vec<(String, Vec<u8>)> = Vec::new();
    let mut rest: Vec<Wanted> = Vec::new();
    for w in &wanted {
        let need = w.size.min(w.budget) as usize;
        match speculated.iter().find(|(s, b)| *s == w.section && b.len() >= need) {
            Some((_, bytes)) => raw.push((w.section.clone(), bytes[..need].to_vec())),
            None => rest.push(w.clone()),
        }
    }
    let items = part_items(&rest)?;
    if !items.is_empty() {
        conn.execute(&encode::uid_fetch(&UidSet::one(uid), &items), |r| {
            if let Response::Fetch(_, attrs) = r {
                sections_of(attrs, &mut raw);
            }
        })
        .await?;
    }
    decode_values(&mut msg, wanted, &raw, max_value_bytes);
    Ok(Read::Found(msg))
}

/// One FETCH of a message's summary and structure with the first bytes of `parts`.
async fn structure_and_parts(
    conn: &mut ImapConn,
    uid_validity: u32,
    uid: u32,
    parts: &[(&str, u32)],
) -> Result<(Option<Message>, Vec<(String, Vec<u8>)>), ImapError> {
    let mut items = summary_items(conn);
    for (section, len) in parts {
        items.push(FetchItem::BodyPeek(Section::parse(section)?, Some((0, *len))));
    }
    let (mut found, mut speculated) = (None, Vec::new());
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &items), |r| {
        if let Response::Fetch(_, attrs) = r
            && let Some(m) = convert::message::message(uid_validity, attrs)
            && m.summary.uid == uid
        {
            sections_of(attrs, &mut speculated);
            found = Some(m);
        }
    })
    .await?;
    Ok((found, speculated))
}

/// A message cached whole, body values included: one FETCH of its flags and MODSEQ.
async fn refreshed(conn: &mut ImapConn, mut msg: Message, uid: u32) -> Result<Read<Message>, ImapError> {
    let mut seen = false;
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &flag_items(conn)), |r| {
        if let Response::Fetch(_, attrs) = r
            && convert::message::uid_of(attrs) == Some(uid)
        {
            seen = true;
            convert::message::refresh(&mut msg.summary, attrs);
        }
    })
    .await?;
    Ok(if seen { Read::Found(msg) } else { Read::NotFound })
}

/// A message whose structure is cached but not its values for this limit: one FETCH of its
/// flags, MODSEQ and text parts.
async fn cached_structure(
    conn: &mut ImapConn,
    mut msg: Message,
    uid: u32,
    max_value_bytes: u32,
) -> Result<Read<Message>, ImapError> {
    let wanted = wanted_parts(&msg, max_value_bytes);
    let mut items = flag_items(conn);
    items.extend(part_items(&wanted)?);
    let mut raw: Vec<(String, Vec<u8>)> = Vec::new();
    let mut seen = false;
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &items), |r| {
        if let Response::Fetch(_, attrs) = r
            && convert::message::uid_of(attrs) == Some(uid)
        {
            seen = true;
            convert::message::refresh(&mut msg.summary, attrs);
            sections_of(attrs, &mut raw);
        }
    })
    .await?;
    if !seen {
        return Ok(Read::NotFound);
    }
    msg.body_values.clear();
    decode_values(&mut msg, wanted, &raw, max_value_bytes);
    Ok(Read::Found(msg))
}
