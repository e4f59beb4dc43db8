//! Collapsed pages over one pooled connection: one item per thread of a mailbox (its newest
//! message), with the thread's size and unread count there. A mailbox's threads are reused
//! while its STATUS says nothing changed; otherwise two searches (all, unseen) and, for UIDs
//! new to the thread index, one FETCH of their id fields per 1,000. Then the summaries of the
//! page. Read-only.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use async_imap::imap_proto::{AttributeValue, MailboxDatum, Response};

use super::{
    cache::CacheScope,
    encode::{self, FetchItem, MailboxName, SearchKey, UidSet, search::Dialect},
    error::ImapError,
    page,
    read::{Read, examine_checked},
    session::ImapConn,
    thread_index::{MailboxThreads, key_of, lone_key},
};
use crate::{convert, views::message::MessageSummary};

/// Bytes of a message's id fields fetched for its thread (References comes whole in all but
/// pathological cases).
const ID_FIELDS_EXCERPT: u32 = 16 * 1024;
/// UIDs per FETCH of id fields.
const KEYS_PER_FETCH: usize = 1000;

/// One page of threads, newest first.
#[derive(Debug)]
pub struct CollapsedPage {
    /// UIDVALIDITY the UIDs belong to.
    pub uid_validity: u32,
    /// Messages in the mailbox.
    pub exists: u32,
    /// Threads in the mailbox.
    pub threads: u32,
    /// The newest message of each thread, with `thread_size` and `thread_unread` set.
    pub items: Vec<MessageSummary>,
    /// The newest UID of the page's last thread when older threads exist (the next keyset).
    pub next_before: Option<u32>,
}

async fn search_uids(conn: &mut ImapConn, key: &SearchKey) -> Result<Vec<u32>, ImapError> {
    let cmd = encode::uid_search(key, Dialect { literal_plus: conn.has("LITERAL+") })?;
    let mut uids = Vec::new();
    conn.execute(&cmd, |r| {
        if let Response::MailboxData(MailboxDatum::Search(v)) = r {
            uids.extend_from_slice(v);
        }
    })
    .await?;
    Ok(uids)
}

/// The thread keys of `uids` from their id fields; a message without ids (or gone) is a
/// thread of its own.
async fn fetch_keys(conn: &mut ImapConn, uids: &[u32]) -> Result<HashMap<u32, u64>, ImapError> {
    let mut keys = HashMap::with_capacity(uids.len());
    let items = [FetchItem::Uid, FetchItem::HeaderField("MESSAGE-ID IN-REPLY-TO REFERENCES", ID_FIELDS_EXCERPT)];
    for chunk in uids.chunks(KEYS_PER_FETCH) {
        let Some(set) = UidSet::list(chunk) else { continue };
        let asked: HashSet<u32> = chunk.iter().copied().collect();
        conn.execute(&encode::uid_fetch(&set, &items), |r| {
            if let Response::Fetch(_, attrs) = r
                && let Some(uid) = convert::message::uid_of(attrs)
                && asked.contains(&uid)
                && let Some(data) = attrs.iter().find_map(|a| match a {
                    AttributeValue::BodySection { data, .. } => Some(data.as_deref().unwrap_or_default()),
                    _ => None,
                })
            {
                let key = match convert::thread::root_from_fields(data) {
                    Some(root) => key_of(&convert::thread::root_thread_id(&root)),
                    None => lone_key(uid),
                };
                keys.insert(uid, key);
            }
        })
        .await?;
    }
    Ok(keys)
}

/// The threads of the selected `mailbox`: while its STATUS (messages, UIDNEXT, unseen,
/// HIGHESTMODSEQ) is what it was, the ones found before; otherwise two searches (all, unseen)
/// and the id fields of messages the thread index does not know yet. Without CONDSTORE a flag
/// change leaves no trace in STATUS, so the searches run every time.
pub async fn mailbox_threads(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    uid_validity: u32,
    cache: CacheScope<'_>,
) -> Result<Arc<MailboxThreads>, ImapError> {
    let index_key = (cache.account.to_string(), mailbox.as_str().to_string(), uid_validity);
    let print = match conn.has("CONDSTORE") {
        true => super::mailbox::fingerprint(conn, mailbox).await?,
        false => None,
    };
    if let Some(known) = print.and_then(|p| cache.threads.snapshot(&index_key, p)) {
        return Ok(known);
    }
    let all = search_uids(conn, &SearchKey::All).await?;
    let unseen: HashSet<u32> = search_uids(conn, &SearchKey::Seen(false)).await?.into_iter().collect();
    let (mut keys, missing) = cache.threads.lookup(&index_key, &all);
    if !missing.is_empty() {
        let fresh = fetch_keys(conn, &missing).await?;
        cache.threads.insert(&index_key, &fresh);
        keys.extend(fresh);
    }
    let threads = Arc::new(MailboxThreads::new(keys, all, &unseen));
    if let Some(p) = print {
        cache.threads.keep_snapshot(&index_key, p, threads.clone());
    }
    Ok(threads)
}

/// A page of threads whose newest message is below `before` (the newest threads when
/// absent).
pub async fn collapsed_page(
    conn: &mut ImapConn,
    mailbox: &MailboxName,
    expect_uid_validity: Option<u32>,
    before: Option<u32>,
    limit: usize,
    cache: CacheScope<'_>,
) -> Result<Read<CollapsedPage>, ImapError> {
    let state = match examine_checked(conn, mailbox, expect_uid_validity, None).await? {
        Ok(s) => s,
        Err(current) => return Ok(Read::Stale { current }),
    };
    let uid_validity = state.uid_validity.unwrap_or(0);
    let threads = mailbox_threads(conn, mailbox, uid_validity, cache).await?;
    let mut newest: Vec<u32> =
        threads.collapse(threads.newest_first()).into_iter().filter(|&u| before.is_none_or(|b| u < b)).collect();
    let has_more = newest.len() > limit;
    newest.truncate(limit);
    let next_before = newest.last().copied().filter(|_| has_more);
    let mut items = page::cached_summaries(conn, uid_validity, &newest, cache, mailbox).await?;
    threads.annotate(&mut items);
    items.sort_by_key(|m| std::cmp::Reverse(m.uid));
    Ok(Read::Found(CollapsedPage { uid_validity, exists: state.exists, threads: threads.count(), items, next_before }))
}
