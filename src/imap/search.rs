//! SEARCH and SORT over one pooled connection: UIDs of the matches, newest first unless a
//! sort order is given.

use async_imap::imap_proto::{MailboxDatum, Response};

use super::{
    encode::{self, MailboxName, SearchKey, SortKey, search::Dialect},
    error::ImapError,
    read::{Read, examine_expecting},
    session::ImapConn,
};

/// The matches of a search.
#[derive(Debug)]
pub struct Matches {
    /// UIDVALIDITY the UIDs belong to.
    pub uid_validity: u32,
    /// Matching UIDs, in result order.
    pub uids: Vec<u32>,
}

/// Runs `key` in `mailbox`; with `sort`, the server's SORT order (needs SORT), else newest first.
pub async fn search(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    key: &SearchKey,
    sort: Option<&[(SortKey, bool)]>,
    expect: Option<u32>,
) -> Result<Read<Matches>, ImapError> {
    if sort.is_some() && !conn.has("SORT") {
        return Err(ImapError::Unsupported("SORT"));
    }
    if key.uses_recent() && conn.has("IMAP4REV2") && !conn.has("IMAP4REV1") {
        return Err(ImapError::Unsupported("NEW/OLD/RECENT"));
    }
    let state = match examine_expecting(conn, mailbox, expect).await? {
        Ok(s) => s,
        Err(current) => return Ok(Read::Stale { current }),
    };
    let dialect = Dialect { literal_plus: conn.has("LITERAL+") };
    let cmd = match sort {
        Some(order) => encode::uid_sort(order, key, dialect)?,
        None => encode::uid_search(key, dialect)?,
    };
    let mut uids = Vec::new();
    conn.execute(&cmd, |r| {
        if let Response::MailboxData(MailboxDatum::Search(v) | MailboxDatum::Sort(v)) = r {
            uids.extend_from_slice(v);
        }
    })
    .await?;
    if sort.is_none() {
        uids.sort_unstable_by(|a, b| b.cmp(a));
        uids.dedup();
    }
    Ok(Read::Found(Matches { uid_validity: state.uid_validity.unwrap_or(0), uids }))
}
