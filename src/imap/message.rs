//! Message operations over one pooled connection: the full message with body values from
//! partial fetches, its size, structure and header, and byte ranges of the raw message (pages
//! are in `page.rs`). Read-only: EXAMINE and
//! `BODY.PEEK` only, so reading never sets `\Seen`.

use async_imap::imap_proto::{AttributeValue, Response, SectionPath};

pub use super::page::{Page, page, summaries};
use super::{
    encode::{self, FetchItem, MailboxName, Section, UidSet},
    error::ImapError,
    mailbox::SelectState,
    selection,
    session::ImapConn,
};
use crate::{
    convert::{self, text},
    views::message::{BodyValue, Message},
};

/// What a read found when the client named a UIDVALIDITY.
#[derive(Debug)]
pub enum Read<T> {
    /// The data.
    Found(T),
    /// The mailbox's UIDVALIDITY is not the one the client knows.
    Stale {
        /// The current UIDVALIDITY.
        current: u32,
    },
    /// No message with that UID.
    NotFound,
}

/// What a summary is made of (MODSEQ where the server has CONDSTORE).
pub(super) fn summary_items(conn: &ImapConn) -> Vec<FetchItem> {
    let mut items = vec![
        FetchItem::Uid,
        FetchItem::Flags,
        FetchItem::InternalDate,
        FetchItem::Size,
        FetchItem::Envelope,
        FetchItem::BodyStructure,
    ];
    if conn.has("CONDSTORE") {
        items.push(FetchItem::ModSeq);
    }
    items
}

/// The mailbox selected for reading `uid` (or synced for a page or search when `None`), and
/// whether its UIDVALIDITY is the expected one.
pub(super) async fn examine_checked(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    expect: Option<u32>,
    uid: Option<u32>,
) -> Result<Result<SelectState, u32>, ImapError> {
    let state = match uid {
        Some(uid) => selection::for_reading(conn, mailbox, &[uid]).await?,
        None => selection::synced(conn, mailbox).await?,
    };
    let current = state.uid_validity.unwrap_or(0);
    Ok(match expect {
        Some(uv) if uv != current => Err(current),
        _ => Ok(state),
    })
}

/// EXAMINE, failing over to [`Read::Stale`] when the UIDVALIDITY is not the expected one.
pub async fn examine_expecting(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    expect: Option<u32>,
) -> Result<Result<SelectState, u32>, ImapError> {
    examine_checked(conn, mailbox, expect, None).await
}

fn section_name(section: &Option<SectionPath>) -> Option<String> {
    match section {
        Some(SectionPath::Part(path, None)) => Some(path.iter().map(u32::to_string).collect::<Vec<_>>().join(".")),
        _ => None,
    }
}

/// Encoded bytes to fetch so that at most `max` decoded bytes come out.
fn encoded_budget(encoding: Option<&str>, max: u32) -> u32 {
    match encoding {
        // 4/3 for the encoding, plus CRLF after every 76 characters.
        Some("base64") => max.saturating_mul(4) / 3 + max / 28 + 8,
        Some("quoted-printable") => max.saturating_mul(3),
        _ => max,
    }
}

/// The full message, with body values of its text and HTML parts decoded to UTF-8 and cut at
/// `max_value_bytes` (fetched partially, so big parts never come over the wire whole).
pub async fn message(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uid: u32,
    expect_uid_validity: Option<u32>,
    max_value_bytes: u32,
    base: &str,
) -> Result<Read<Message>, ImapError> {
    let uid_validity = match examine_checked(conn, mailbox, expect_uid_validity, Some(uid)).await? {
        Ok(s) => s.uid_validity.unwrap_or(0),
        Err(current) => return Ok(Read::Stale { current }),
    };
    let mut found = None;
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &summary_items(conn)), |r| {
        if let Response::Fetch(_, attrs) = r
            && let Some(m) = convert::message::message(uid_validity, attrs, base)
            && m.summary.uid == uid
        {
            found = Some(m);
        }
    })
    .await?;
    let Some(mut msg) = found else { return Ok(Read::NotFound) };
    // (section, encoding, charset, encoded size) of every text part to show.
    let mut wanted = Vec::new();
    for r in msg.text_body.iter().chain(&msg.html_body) {
        if r.r#type.starts_with("text/") && !wanted.iter().any(|w: &(String, _, _, _)| w.0 == r.part_id) {
            let part = find(&msg.body_structure, &r.part_id);
            let encoding = part.and_then(|p| p.imap.encoding.clone());
            let size = part.and_then(|p| p.imap.encoded_size).unwrap_or(0);
            wanted.push((r.part_id.clone(), encoding, r.charset.clone(), size));
        }
    }
    let mut items = Vec::new();
    for (section, encoding, _, size) in &wanted {
        let budget = encoded_budget(encoding.as_deref(), max_value_bytes);
        let partial = (*size > budget).then_some((0, budget));
        items.push(FetchItem::BodyPeek(Section::parse(section)?, partial));
    }
    if items.is_empty() {
        return Ok(Read::Found(msg));
    }
    let mut raw: Vec<(String, Vec<u8>)> = Vec::new();
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &items), |r| {
        if let Response::Fetch(_, attrs) = r {
            for a in attrs {
                if let AttributeValue::BodySection { section, data, .. } = a
                    && let Some(name) = section_name(section)
                {
                    raw.push((name, data.as_deref().unwrap_or_default().to_vec()));
                }
            }
        }
    })
    .await?;
    let html_parts: Vec<String> =
        msg.html_body.iter().filter(|r| r.r#type == "text/html").map(|r| r.part_id.clone()).collect();
    for (section, encoding, charset, size) in wanted {
        let Some((_, bytes)) = raw.iter().find(|(s, _)| *s == section) else { continue };
        let cut_on_wire = size > encoded_budget(encoding.as_deref(), max_value_bytes);
        let (mut decoded, bad_transfer) = text::transfer(bytes, encoding.as_deref(), cut_on_wire);
        if cut_on_wire {
            text::drop_partial_utf8_tail(&mut decoded, charset.as_deref());
        }
        let (value, bad_charset) = text::body(&decoded, charset.as_deref());
        // JSON text uses LF line ends (as JMAP's bodyValues do).
        let mut value = value.replace("\r\n", "\n");
        let cut = text::truncate(&mut value, max_value_bytes as usize);
        let html = html_parts.contains(&section).then(|| "untrusted".to_string());
        let is_encoding_problem = bad_transfer || bad_charset;
        let body = BodyValue { value, is_encoding_problem, is_truncated: cut_on_wire || cut, html };
        msg.body_values.insert(section, body);
    }
    Ok(Read::Found(msg))
}

fn find<'a>(part: &'a crate::views::message::BodyPart, id: &str) -> Option<&'a crate::views::message::BodyPart> {
    if part.part_id.as_deref() == Some(id) {
        return Some(part);
    }
    part.sub_parts.iter().find_map(|p| find(p, id))
}

/// RFC822.SIZE of a message, after checking the UIDVALIDITY.
pub async fn size(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uid: u32,
    expect: Option<u32>,
) -> Result<Read<u32>, ImapError> {
    if let Err(current) = examine_checked(conn, mailbox, expect, Some(uid)).await? {
        return Ok(Read::Stale { current });
    }
    let mut size = None;
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &[FetchItem::Uid, FetchItem::Size]), |r| {
        if let Response::Fetch(_, attrs) = r {
            let this = attrs.iter().any(|a| matches!(a, AttributeValue::Uid(u) if *u == uid));
            for a in attrs {
                if let AttributeValue::Rfc822Size(s) = a
                    && this
                {
                    size = Some(*s);
                }
            }
        }
    })
    .await?;
    Ok(size.map_or(Read::NotFound, Read::Found))
}

/// Bytes `offset .. offset + len` of a section (`BODY.PEEK[section]<offset.len>`) of the message
/// in the currently selected mailbox.
pub async fn chunk(
    conn: &mut ImapConn,
    uid: u32,
    section: &Section,
    offset: u64,
    len: u32,
) -> Result<Vec<u8>, ImapError> {
    let mut out = Vec::new();
    let item = FetchItem::BodyPeek(section.clone(), Some((offset, len)));
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &[FetchItem::Uid, item]), |r| {
        if let Response::Fetch(_, attrs) = r
            && attrs.iter().any(|a| matches!(a, AttributeValue::Uid(u) if *u == uid))
        {
            for a in attrs {
                if let AttributeValue::BodySection { data: Some(d), .. } = a {
                    out.extend_from_slice(d);
                }
            }
        }
    })
    .await?;
    Ok(out)
}

/// The body-part tree of a message.
pub async fn structure(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uid: u32,
    expect: Option<u32>,
) -> Result<Read<crate::views::message::BodyPart>, ImapError> {
    if let Err(current) = examine_checked(conn, mailbox, expect, Some(uid)).await? {
        return Ok(Read::Stale { current });
    }
    let mut tree = None;
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &[FetchItem::Uid, FetchItem::BodyStructure]), |r| {
        if let Response::Fetch(_, attrs) = r
            && attrs.iter().any(|a| matches!(a, AttributeValue::Uid(u) if *u == uid))
        {
            for a in attrs {
                if let AttributeValue::BodyStructure(b) = a {
                    tree = Some(convert::body::tree(b));
                }
            }
        }
    })
    .await?;
    Ok(tree.map_or(Read::NotFound, Read::Found))
}

/// The raw header block of a message.
pub async fn header(conn: &mut ImapConn, mailbox: &MailboxName, uid: u32) -> Result<Read<Vec<u8>>, ImapError> {
    selection::for_reading(conn, mailbox, &[uid]).await?;
    let mut out = None;
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &[FetchItem::Uid, FetchItem::Header]), |r| {
        if let Response::Fetch(_, attrs) = r
            && attrs.iter().any(|a| matches!(a, AttributeValue::Uid(u) if *u == uid))
        {
            for a in attrs {
                match a {
                    AttributeValue::BodySection { data, .. } | AttributeValue::Rfc822Header(data) => {
                        out = Some(data.as_deref().unwrap_or_default().to_vec());
                    }
                    _ => {}
                }
            }
        }
    })
    .await?;
    Ok(out.map_or(Read::NotFound, Read::Found))
}

/// Finds the node with `part_id` in a tree.
pub fn find_part<'a>(
    part: &'a crate::views::message::BodyPart,
    id: &str,
) -> Option<&'a crate::views::message::BodyPart> {
    find(part, id)
}
