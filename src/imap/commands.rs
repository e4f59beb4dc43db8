//! The IMAP state commands offered for completeness: SELECT, NOOP, CHECK, CLOSE/UNSELECT and
//! EXPUNGE (all \Deleted, or exactly given UIDs).

use async_imap::imap_proto::{AttributeValue, MailboxDatum, Response};

use super::{
    encode::{
        self, MailboxName, SearchKey, UidSet,
        search::{Dialect, SetSpec},
    },
    error::ImapError,
    mailbox::{select_read_only, select_read_write},
    select_state::SelectState,
    session::ImapConn,
};

/// SELECT (read-write) and its full state.
pub async fn select(conn: &mut ImapConn, mailbox: &MailboxName) -> Result<SelectState, ImapError> {
    select_read_write(conn, mailbox).await
}

/// What a NOOP reported.
#[derive(Debug, Default)]
pub struct Pending {
    /// EXISTS after the NOOP.
    pub exists: Option<u32>,
    /// Messages expunged meanwhile (count).
    pub expunged: u32,
    /// UIDs whose flags changed.
    pub flag_changes: Vec<u32>,
}

/// EXAMINE then NOOP; reports what the server said in between.
pub async fn noop(conn: &mut ImapConn, mailbox: &MailboxName) -> Result<Pending, ImapError> {
    let state = select_read_only(conn, mailbox).await?;
    let mut pending = Pending { exists: Some(state.exists), ..Default::default() };
    conn.execute(&encode::noop(), |r| match r {
        Response::MailboxData(MailboxDatum::Exists(n)) => pending.exists = Some(*n),
        Response::Expunge(_) => pending.expunged += 1,
        Response::Vanished { earlier: false, uids } => {
            pending.expunged += uids.iter().map(|r| r.end().saturating_sub(*r.start()) + 1).sum::<u32>();
        }
        Response::Fetch(_, attrs) => {
            if let Some(uid) = attrs.iter().find_map(|a| if let AttributeValue::Uid(u) = a { Some(*u) } else { None }) {
                pending.flag_changes.push(uid);
            }
        }
        _ => {}
    })
    .await?;
    Ok(pending)
}

/// CHECK (IMAP4rev1) or NOOP (IMAP4rev2 has no CHECK) on the mailbox.
pub async fn check(conn: &mut ImapConn, mailbox: &MailboxName) -> Result<(), ImapError> {
    select_read_write(conn, mailbox).await?;
    let cmd = if conn.has("IMAP4REV1") { encode::check() } else { encode::noop() };
    conn.execute(&cmd, |_| ()).await?;
    Ok(())
}

/// CLOSE (expunging `\Deleted` silently) or, with `expunge = false`, UNSELECT.
pub async fn close(conn: &mut ImapConn, mailbox: &MailboxName, expunge: bool) -> Result<(), ImapError> {
    select_read_write(conn, mailbox).await?;
    if !expunge && !conn.has("UNSELECT") {
        return Err(ImapError::Unsupported("UNSELECT"));
    }
    conn.execute(&if expunge { encode::close() } else { encode::unselect() }, |_| ()).await?;
    conn.set_selected(None);
    Ok(())
}

/// `\Deleted` UIDs of the selected mailbox, within `uids` if given.
async fn deleted_uids(conn: &mut ImapConn, uids: Option<&[u32]>) -> Result<Vec<u32>, ImapError> {
    let mut key = vec![SearchKey::Deleted(true)];
    if let Some(list) = uids.and_then(UidSet::list) {
        key.push(SearchKey::Uid(SetSpec::parse(list.as_text())?));
    }
    let mut found = Vec::new();
    let cmd = encode::uid_search(&SearchKey::And(key), Dialect { literal_plus: conn.has("LITERAL+") })?;
    conn.execute(&cmd, |r| {
        if let Response::MailboxData(MailboxDatum::Search(v)) = r {
            found.extend_from_slice(v);
        }
    })
    .await?;
    found.sort_unstable();
    Ok(found)
}

/// Expunges exactly `uids` (UID EXPUNGE, needs UIDPLUS) or, with None, every `\Deleted`
/// message. Returns the UIDs removed.
pub async fn expunge(conn: &mut ImapConn, mailbox: &MailboxName, uids: Option<&[u32]>) -> Result<Vec<u32>, ImapError> {
    select_read_write(conn, mailbox).await?;
    if uids.is_some() && !conn.has("UIDPLUS") {
        return Err(ImapError::Unsupported("UIDPLUS"));
    }
    let gone = deleted_uids(conn, uids).await?;
    match uids.and_then(UidSet::list) {
        Some(set) => conn.execute(&encode::uid_expunge(&set), |_| ()).await?,
        None => conn.execute(&encode::expunge(), |_| ()).await?,
    };
    Ok(gone)
}
