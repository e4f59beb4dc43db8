//! Message reads by UID over one pooled connection: size, structure and header, and byte
//! ranges of the raw message. The full message (`full_message.rs`) and pages (`page.rs`) are
//! re-exported here, so handlers read messages through one module. Read-only: EXAMINE and
//! `BODY.PEEK` only, so reading never sets `\Seen`.

use async_imap::imap_proto::{AttributeValue, Response};

pub use super::full_message::message;
pub use super::page::{page, summaries};
use super::{
    encode::{self, FetchItem, MailboxName, Section, UidSet},
    error::ImapError,
    read::{Read, examine_checked},
    selection,
    session::ImapConn,
};
use crate::convert;

/// RFC822.SIZE of a message, after checking the UIDVALIDITY.
pub async fn size(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uid: u32,
    expect: Option<u32>,
) -> Result<Read<u32>, ImapError> {
    Ok(size_with(conn, mailbox, uid, expect, None).await?.map(|(size, _)| size))
}

/// RFC822.SIZE and the first `head` bytes of a message in one FETCH, after checking the
/// UIDVALIDITY (a whole download of a small message is then one round trip).
pub async fn size_and_head(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uid: u32,
    expect: Option<u32>,
    head: u32,
) -> Result<Read<(u32, Vec<u8>)>, ImapError> {
    size_with(conn, mailbox, uid, expect, Some(head)).await
}

async fn size_with(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uid: u32,
    expect: Option<u32>,
    head: Option<u32>,
) -> Result<Read<(u32, Vec<u8>)>, ImapError> {
    if let Err(current) = examine_checked(conn, mailbox, expect, Some(uid)).await? {
        return Ok(Read::Stale { current });
    }
    let (mut size, mut bytes) = (None, Vec::new());
    let mut items = vec![FetchItem::Uid, FetchItem::Size];
    items.extend(head.map(|h| FetchItem::BodyPeek(Section::whole(), Some((0, h)))));
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &items), |r| {
        if let Response::Fetch(_, attrs) = r
            && convert::message::uid_of(attrs) == Some(uid)
        {
            for a in attrs {
                match a {
                    AttributeValue::Rfc822Size(s) => size = Some(*s),
                    AttributeValue::BodySection { data: Some(d), .. } => bytes.extend_from_slice(d),
                    _ => {}
                }
            }
        }
    })
    .await?;
    Ok(size.map_or(Read::NotFound, |s| Read::Found((s, bytes))))
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

/// The raw header block of a message, or its first `max + 1` bytes when it is longer than
/// `max` (so the caller sees that it is too long without holding all of it).
pub async fn header(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uid: u32,
    max: u32,
) -> Result<Read<Vec<u8>>, ImapError> {
    selection::for_reading(conn, mailbox, &[uid]).await?;
    let mut out = None;
    let items = [FetchItem::Uid, FetchItem::HeaderPrefix(max.saturating_add(1))];
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &items), |r| {
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
    super::full_message::find(part, id)
}
