//! Message pages over one pooled connection: the newest messages by sequence range, older
//! ones by UID keyset, with the immutable parts of summaries taken from the cache where it has
//! them. Read-only: EXAMINE and `BODY.PEEK` only.

use async_imap::imap_proto::{MailboxDatum, Response};

use super::{
    cache::CacheScope,
    encode::{self, MailboxName},
    error::ImapError,
    read::{Read, examine_checked, flag_items},
    session::ImapConn,
    summary_fetch::Wanted,
};
use crate::{convert, views::message::MessageSummary};

/// One page, newest first.
#[derive(Debug)]
pub struct Page {
    /// UIDVALIDITY the UIDs belong to.
    pub uid_validity: u32,
    /// Messages in the mailbox.
    pub exists: u32,
    /// The summaries, highest UID first.
    pub items: Vec<MessageSummary>,
    /// True if messages older than the last item exist.
    pub has_more: bool,
    /// The lowest UID of this page's window (the keyset of the next page), even if some of its
    /// messages were expunged before they could be fetched.
    pub last_uid: Option<u32>,
}

/// UIDs below `before`, newest first, at most `limit + 1` of them. Searches growing UID windows
/// below the keyset so that one page costs O(page), not O(mailbox).
async fn uids_below(conn: &mut ImapConn, before: u32, limit: usize) -> Result<Vec<u32>, ImapError> {
    let top = before.saturating_sub(1);
    let mut window = (limit as u32 + 1).saturating_mul(2).max(64);
    loop {
        if top == 0 {
            return Ok(Vec::new());
        }
        let from = top.saturating_sub(window - 1).max(1);
        let mut found: Vec<u32> = Vec::new();
        conn.execute(&encode::uid_search_range(from, top), |r| {
            if let Response::MailboxData(MailboxDatum::Search(uids)) = r {
                found.extend(uids.iter().copied().filter(|&u| u >= from && u <= top));
            }
        })
        .await?;
        if found.len() > limit || from == 1 {
            found.sort_unstable_by(|a, b| b.cmp(a));
            found.truncate(limit + 1);
            return Ok(found);
        }
        window = window.saturating_mul(4);
    }
}

/// A page of summaries below the keyset `before` (the newest messages when absent). With a
/// cache scope, summaries known from earlier pages cost only their FLAGS and MODSEQ.
pub async fn page(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    expect_uid_validity: Option<u32>,
    before: Option<u32>,
    limit: usize,
    cache: Option<CacheScope<'_>>,
) -> Result<Read<Page>, ImapError> {
    let state = match examine_checked(conn, mailbox, expect_uid_validity, None).await? {
        Ok(s) => s,
        Err(current) => return Ok(Read::Stale { current }),
    };
    let uid_validity = state.uid_validity.unwrap_or(0);
    let scope = cache.filter(|c| c.summaries.enabled()).map(|c| (c, mailbox));
    let (mut items, has_more, last_uid, exists) = match before {
        None => {
            // The newest `limit` messages by sequence number, which is UID order: one FETCH,
            // no search, while the message count is current.
            let mut exists = state.exists;
            let newest = |exists: u32| {
                Wanted::Sequence(exists.saturating_sub(u32::try_from(limit).unwrap_or(u32::MAX)) + 1, exists)
            };
            let items = match exists {
                0 => Vec::new(),
                _ => match fetch_summaries(conn, uid_validity, newest(exists), scope).await {
                    // A message count gone wrong (it should not) must not fail every page of a
                    // reused connection: open the mailbox afresh and try once more.
                    Err(ImapError::Bad(_)) => {
                        exists = super::mailbox::select_read_only(conn, mailbox).await?.exists;
                        if exists == 0 {
                            Vec::new()
                        } else {
                            fetch_summaries(conn, uid_validity, newest(exists), scope).await?
                        }
                    }
                    other => other?,
                },
            };
            let last = items.iter().map(|m| m.uid).min();
            (items, exists as usize > limit, last, exists)
        }
        Some(before) => {
            let mut uids = uids_below(conn, before, limit).await?;
            let has_more = uids.len() > limit;
            uids.truncate(limit);
            let last = uids.last().copied();
            (fetch_summaries(conn, uid_validity, Wanted::Uids(&uids), scope).await?, has_more, last, state.exists)
        }
    };
    items.sort_by_key(|m| std::cmp::Reverse(m.uid));
    items.dedup_by_key(|m| m.uid);
    Ok(Read::Found(Page { uid_validity, exists, items, has_more, last_uid }))
}

/// Summaries of `uids` (in server order; expunged ones are missing).
pub async fn summaries(conn: &mut ImapConn, uid_validity: u32, uids: &[u32]) -> Result<Vec<MessageSummary>, ImapError> {
    super::summary_fetch::fetch(conn, uid_validity, Wanted::Uids(uids)).await
}

/// Summaries of `uids` through the cache: FLAGS and MODSEQ for all, full summaries for those
/// it lacks.
pub(super) async fn cached_summaries(
    conn: &mut ImapConn,
    uid_validity: u32,
    uids: &[u32],
    cache: CacheScope<'_>,
    mailbox: &MailboxName,
) -> Result<Vec<MessageSummary>, ImapError> {
    let scope = cache.summaries.enabled().then_some((cache, mailbox));
    fetch_summaries(conn, uid_validity, Wanted::Uids(uids), scope).await
}

/// Summaries of `wanted`: with a cache scope, FLAGS and MODSEQ for all and full summaries only
/// for those the cache lacks (which are then cached).
async fn fetch_summaries(
    conn: &mut ImapConn,
    uid_validity: u32,
    wanted: Wanted<'_>,
    scope: Option<(CacheScope<'_>, &MailboxName)>,
) -> Result<Vec<MessageSummary>, ImapError> {
    let Some((scope, mailbox)) = scope else { return super::summary_fetch::fetch(conn, uid_validity, wanted).await };
    let key = |uid: u32| scope.key(mailbox, uid_validity, uid);
    let asked = wanted.asked();
    let mut items = Vec::new();
    let mut misses = Vec::new();
    let Some(cmd) = wanted.command(&flag_items(conn)) else { return Ok(items) };
    conn.execute(&cmd, |r| {
        let Response::Fetch(seq, attrs) = r else { return };
        let Some(uid) = convert::message::uid_of(attrs) else { return };
        if !wanted.wants(*seq, uid, &asked) {
            return;
        }
        match scope.summaries.get(&key(uid)) {
            Some(mut cached) => {
                convert::message::refresh(&mut cached, attrs);
                items.push(cached);
            }
            None => misses.push(uid),
        }
    })
    .await?;
    if !misses.is_empty() {
        misses.sort_unstable();
        for m in super::summary_fetch::fetch(conn, uid_validity, Wanted::Uids(&misses)).await? {
            scope.summaries.put(key(m.uid), m.clone());
            items.push(m);
        }
    }
    Ok(items)
}
