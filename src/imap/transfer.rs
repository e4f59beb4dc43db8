//! COPY and MOVE by UID with the COPYUID mapping, the MOVE fallback (only with UIDPLUS, never a
//! plain EXPUNGE), and deleting a message to Trash or for good.

use async_imap::imap_proto::{AttributeValue, Response, Status};

use super::{
    encode::{self, FetchItem, Flag, ListOptions, ListPattern, MailboxName, StoreMode, UidSet},
    error::ImapError,
    mailbox::{select_read_only, select_read_write},
    session::{CopyUid, ImapConn, copy_uid},
};

/// Copies (or moves) `uids` from `source` to `destination`; returns the UID mapping when the
/// server reports it (UIDPLUS).
pub async fn transfer(
    conn: &mut ImapConn,
    source: &MailboxName,
    uids: &[u32],
    destination: &MailboxName,
    is_move: bool,
) -> Result<Option<CopyUid>, ImapError> {
    let Some(set) = UidSet::list(uids) else { return Ok(None) };
    if !is_move {
        select_read_only(conn, source).await?;
        return Ok(conn.execute(&encode::uid_copy(&set, destination), |_| ()).await?.copy_uid);
    }
    select_read_write(conn, source).await?;
    if conn.has("MOVE") {
        // COPYUID comes as an untagged OK before the expunges (RFC 6851 §4.3).
        let mut mapping = None;
        let done = conn
            .execute(&encode::uid_move(&set, destination), |r| {
                if let Response::Data { status: Status::Ok, outcome } = r
                    && let Some(code) = &outcome.code
                {
                    mapping = mapping.take().or_else(|| copy_uid(code));
                }
            })
            .await?;
        return Ok(mapping.or(done.copy_uid));
    }
    if !conn.has("UIDPLUS") {
        // Without UID EXPUNGE a fallback would expunge every \Deleted message: refuse.
        return Err(ImapError::Unsupported("MOVE or UIDPLUS"));
    }
    let mapping = conn.execute(&encode::uid_copy(&set, destination), |_| ()).await?.copy_uid;
    conn.execute(&encode::uid_store(&set, StoreMode::Add, &[Flag::deleted()], None), |_| ()).await?;
    conn.execute(&encode::uid_expunge(&set), |_| ()).await?;
    Ok(mapping)
}

/// The mailbox with the `\Trash` role, if any.
pub async fn trash(conn: &mut ImapConn) -> Result<Option<MailboxName>, ImapError> {
    let options =
        ListOptions { return_special_use: conn.has("SPECIAL-USE") && conn.has("LIST-EXTENDED"), ..Default::default() };
    let mut found = None;
    conn.execute(&encode::list(&ListPattern::all(), &options), |r| {
        if let Response::MailboxData(async_imap::imap_proto::MailboxDatum::List(l)) = r
            && found.is_none()
            && l.name_attributes.iter().any(|a| matches!(a, async_imap::imap_proto::NameAttribute::Trash))
        {
            found = MailboxName::from_wire(&crate::convert::text::unquote(&l.name)).ok();
        }
    })
    .await?;
    Ok(found)
}

/// True if `uid` exists in the selected mailbox.
async fn exists(conn: &mut ImapConn, uid: u32) -> Result<bool, ImapError> {
    let mut seen = false;
    conn.execute(&encode::uid_fetch(&UidSet::one(uid), &[FetchItem::Uid]), |r| {
        if let Response::Fetch(_, attrs) = r
            && attrs.iter().any(|a| matches!(a, AttributeValue::Uid(u) if *u == uid))
        {
            seen = true;
        }
    })
    .await?;
    Ok(seen)
}

/// What deleting a message did.
#[derive(Debug, PartialEq, Eq)]
pub enum Deleted {
    /// Moved to the Trash mailbox (with its new UID when reported).
    ToTrash(String, Option<u32>),
    /// Expunged for good.
    Expunged,
    /// No such message.
    NotFound,
}

/// Moves `uid` to Trash, or (already in Trash, no Trash, or `permanent`) sets `\Deleted` and
/// expunges exactly that UID (needs UIDPLUS).
pub async fn delete(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uid: u32,
    permanent: bool,
) -> Result<Deleted, ImapError> {
    let trash = if permanent { None } else { trash(conn).await?.filter(|t| t != mailbox) };
    select_read_write(conn, mailbox).await?;
    if !exists(conn, uid).await? {
        return Ok(Deleted::NotFound);
    }
    if let Some(trash) = trash {
        let mapping = transfer(conn, mailbox, &[uid], &trash, true).await?;
        let new_uid = mapping.and_then(|m| m.pairs.first().map(|p| p.1));
        return Ok(Deleted::ToTrash(trash.as_str().to_string(), new_uid));
    }
    if !conn.has("UIDPLUS") {
        return Err(ImapError::Unsupported("UIDPLUS"));
    }
    let set = UidSet::one(uid);
    conn.execute(&encode::uid_store(&set, StoreMode::Add, &[Flag::deleted()], None), |_| ()).await?;
    conn.execute(&encode::uid_expunge(&set), |_| ()).await?;
    Ok(Deleted::Expunged)
}

/// What an APPEND produced.
#[derive(Debug)]
pub struct Appended {
    /// UIDVALIDITY of the mailbox (UIDPLUS).
    pub uid_validity: Option<u32>,
    /// UID of the new message (UIDPLUS).
    pub uid: Option<u32>,
}

/// The server's APPENDLIMIT, if it announces one.
pub fn append_limit(conn: &ImapConn) -> Option<u64> {
    conn.capabilities().iter().find_map(|c| c.strip_prefix("APPENDLIMIT=").and_then(|n| n.parse().ok()))
}

/// Appends `len` bytes from `data` to `mailbox` as one literal (counted on the exact bytes
/// sent), streaming them as they arrive.
pub async fn append<S>(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    flags: &[Flag],
    received_at: Option<&chrono::DateTime<chrono::FixedOffset>>,
    len: usize,
    data: S,
) -> Result<Appended, ImapError>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, ImapError>> + Unpin,
{
    if append_limit(conn).is_some_and(|l| len as u64 > l) {
        return Err(ImapError::No(super::error::server_reply(
            "APPEND",
            "NO",
            Some("TOOBIG".into()),
            "larger than the server's APPENDLIMIT",
        )));
    }
    let (head, synchronizing) = encode::append_head(mailbox, flags, received_at, len, conn.has("LITERAL+"));
    let done = conn.execute_literal(&head, synchronizing, len, data).await?;
    // APPENDUID is only trusted where UIDPLUS is in use.
    let appended = done.append_uid.filter(|_| conn.has("UIDPLUS"));
    Ok(Appended { uid_validity: appended.map(|a| a.0), uid: appended.map(|a| a.1) })
}
