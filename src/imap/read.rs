//! What every read by UID shares: the three answers of a read ([`Read`]), the mailbox
//! selected for it with its UIDVALIDITY checked, and the FETCH items of flags and summaries.

use super::{
    encode::{FetchItem, MailboxName},
    error::ImapError,
    select_state::SelectState,
    selection,
    session::ImapConn,
};
use crate::convert::thread::REFERENCES_EXCERPT;

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

impl<T> Read<T> {
    /// The found data passed through `f`; the other answers unchanged.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Read<U> {
        match self {
            Read::Found(t) => Read::Found(f(t)),
            Read::Stale { current } => Read::Stale { current },
            Read::NotFound => Read::NotFound,
        }
    }
}

/// `UID FLAGS`, and `MODSEQ` where the server has CONDSTORE: what changes about a message.
pub(super) fn flag_items(conn: &ImapConn) -> Vec<FetchItem> {
    let mut items = vec![FetchItem::Uid, FetchItem::Flags];
    if conn.has("CONDSTORE") {
        items.push(FetchItem::ModSeq);
    }
    items
}

/// What a summary is made of: the first id of References for its thread, MODSEQ where the
/// server has CONDSTORE, EMAILID where it has OBJECTID.
pub(super) fn summary_items(conn: &ImapConn) -> Vec<FetchItem> {
    let mut items = vec![
        FetchItem::Uid,
        FetchItem::Flags,
        FetchItem::InternalDate,
        FetchItem::Size,
        FetchItem::Envelope,
        FetchItem::BodyStructure,
        FetchItem::HeaderField("REFERENCES", REFERENCES_EXCERPT),
    ];
    if conn.has("CONDSTORE") {
        items.push(FetchItem::ModSeq);
    }
    if conn.has("OBJECTID") {
        items.push(FetchItem::EmailId);
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
