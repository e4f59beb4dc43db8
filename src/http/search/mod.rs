//! `POST /v1/mailboxes/{mailbox}/search` and `POST /v1/search`, plus the search path shared
//! with the simple query parameters of the message list.

pub(crate) mod filter;
pub(crate) mod filter_schema;
pub(crate) mod mailboxes;

use axum::{Json, extract::State, http::StatusCode};
use ring::digest;

use crate::{
    http::error::ApiError,
    http::{
        account::{Account, RunError},
        extract::{ApiJson, MailboxPath},
        found::{found, next_cursor, open_cursor},
        limits::{MULTI_SEARCH_MAX, PAGE_DEFAULT, PAGE_MAX},
    },
    imap::{
        ImapError,
        encode::{MailboxName, SearchKey, SortKey},
        message,
        read::Read,
        search, threads,
    },
    state::AppState,
    views::{
        message::MessageSummary,
        problem::Problem,
        search::{MailboxMatch, MultiSearchRequest, MultiSearchResponse, SearchRequest, SearchResponse, SortSpec},
    },
};

/// The filter as a search key; `\Deleted` messages are excluded unless the filter mentions them.
pub fn build_key(filter: Option<&serde_json::Value>) -> Result<SearchKey, ApiError> {
    let key = match filter {
        Some(f) => filter::parse(f, "filter").map_err(|(field, reason)| ApiError::invalid_filter(field, reason))?,
        None => SearchKey::All,
    };
    Ok(if key.mentions_deleted() { key } else { SearchKey::And(vec![key, SearchKey::Deleted(false)]) })
}

/// The sort properties and the SORT criterion each names (`receivedAt` is `arrival`).
pub const SORT_PROPERTIES: [(&str, SortKey); 8] = [
    ("arrival", SortKey::Arrival),
    ("receivedAt", SortKey::Arrival),
    ("sentAt", SortKey::Date),
    ("from", SortKey::From),
    ("to", SortKey::To),
    ("cc", SortKey::Cc),
    ("subject", SortKey::Subject),
    ("size", SortKey::Size),
];

fn sort_order(sort: &[SortSpec]) -> Result<Option<Vec<(SortKey, bool)>>, ApiError> {
    let mut out = Vec::new();
    for (i, s) in sort.iter().enumerate() {
        let Some(&(_, key)) = SORT_PROPERTIES.iter().find(|(name, _)| *name == s.property) else {
            return Err(ApiError::invalid_filter(format!("sort[{i}].property"), "unknown sort property".into()));
        };
        out.push((key, s.is_ascending));
    }
    // Newest first by arrival is UID order: no SORT needed.
    Ok(match out.as_slice() {
        [] | [(SortKey::Arrival, false)] => None,
        _ => Some(out),
    })
}

/// A short stable hash identifying a search, stored in its cursors.
pub fn fingerprint(parts: &[&str]) -> String {
    let d = digest::digest(&digest::SHA256, parts.join("\u{0}").as_bytes());
    d.as_ref()[..12].iter().map(|b| format!("{b:02x}")).collect()
}

fn map_unsupported(e: ImapError) -> ApiError {
    match e {
        ImapError::Unsupported("SORT") => ApiError::unsupported_sort("the IMAP server does not offer SORT"),
        ImapError::Unsupported(what) => {
            ApiError::invalid_filter("filter".into(), format!("{what} cannot be used on this server"))
        }
        // The gateway validated the filter; a BAD now means the server cannot take it.
        ImapError::Bad(reply) if matches!(reply.command, "UID SEARCH" | "UID SORT") => {
            ApiError::invalid_filter("filter".into(), format!("the IMAP server rejected it: {}", reply.text))
        }
        other => other.into(),
    }
}

/// What one search page needs.
pub struct SearchPlan {
    /// The mailbox.
    pub mailbox: MailboxName,
    /// The search key.
    pub key: SearchKey,
    /// SORT order, or None for newest first.
    pub sort: Option<Vec<(SortKey, bool)>>,
    /// Page size.
    pub limit: usize,
    /// Cursor string from the client.
    pub cursor: Option<String>,
    /// Fetch summaries of the page.
    pub summaries: bool,
    /// Identity of the search, stored in cursors.
    pub fingerprint: String,
    /// One result per thread.
    pub collapse: bool,
}

/// Runs one page of a search.
pub async fn run_search(state: &AppState, acct: &Account, plan: SearchPlan) -> Result<SearchResponse, ApiError> {
    let cursor = match plan.cursor.as_deref() {
        None => None,
        Some(c) => {
            let c = open_cursor(state, c, acct.id(), plan.mailbox.as_str())?;
            if c.q.as_deref() != Some(plan.fingerprint.as_str()) {
                return Err(ApiError::invalid_cursor("the cursor belongs to another search"));
            }
            Some(c)
        }
    };
    let known = cursor.as_ref().map(|c| c.uv);
    let before = cursor.as_ref().map(|c| c.before);
    let (p, cache) = (&plan, acct.cache());
    let found_page = acct
        .read(|mut c| async move {
            let mut m = match search::search(&mut c, &p.mailbox, &p.key, p.sort.as_deref(), known).await? {
                Read::Found(m) => m,
                Read::Stale { current } => return Ok(Read::Stale { current }),
                Read::NotFound => return Ok(Read::NotFound),
            };
            let total = m.uids.len();
            let threads = match p.collapse {
                true => Some(threads::mailbox_threads(&mut c, &p.mailbox, m.uid_validity, cache).await?),
                false => None,
            };
            if let Some(t) = &threads {
                m.uids = t.collapse(&m.uids);
            }
            let rest: Vec<u32> = match (&p.sort, before) {
                (None, Some(b)) => m.uids.iter().copied().filter(|&u| u < b).collect(),
                (None, None) => m.uids.clone(),
                (Some(_), None) => m.uids.clone(),
                // The sorted list is computed again: resume after the last UID the client saw,
                // wherever it moved; if it is gone, the cursor has expired.
                (Some(_), Some(b)) => match m.uids.iter().position(|&u| u == b) {
                    Some(i) => m.uids[i + 1..].to_vec(),
                    None => return Ok(Read::NotFound),
                },
            };
            let page: Vec<u32> = rest.iter().copied().take(p.limit).collect();
            let more = rest.len() > page.len();
            let mut items =
                if p.summaries { Some(message::summaries(&mut c, m.uid_validity, &page).await?) } else { None };
            if let (Some(t), Some(items)) = (&threads, items.as_mut()) {
                t.annotate(items);
            }
            Ok(Read::Found((m.uid_validity, total, page, more, items)))
        })
        .await
        .map_err(|e| e.map_imap(map_unsupported))?;
    let (uv, total, page, more, items) = found(found_page, StatusCode::GONE, known, || {
        ApiError::new(StatusCode::CONFLICT, "cursor-expired", "The cursor has expired")
            .detail("the last message of the previous page is gone; start again without a cursor")
    })?;
    let last = page.last().copied().filter(|_| more);
    let next_cursor = next_cursor(state, acct.id(), plan.mailbox.as_str(), uv, last, Some(&plan.fingerprint));
    let items = items.map(|mut list: Vec<MessageSummary>| {
        list.sort_by_key(|m| page.iter().position(|&u| u == m.uid));
        list
    });
    Ok(SearchResponse { uids: page, total, next_cursor, items })
}

/// Search one mailbox with a JSON filter tree; newest first unless sorted.
///
/// The filter tree becomes one UID SEARCH (or UID SORT with `sort`), with CHARSET UTF-8 where the
/// text needs it. Pages follow a signed cursor; `return: "summaries"` adds a summary per UID;
/// `collapseThreads` gives one result per conversation.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/search", tag = "search", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    request_body = SearchRequest,
    responses(
        (status = 200, body = SearchResponse),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "`cursor-expired`: the last message of the previous page is gone"),
        (status = 410, body = Problem, content_type = "application/problem+json", description = "UIDVALIDITY changed"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid filter or unsupported sort"),
    ))]
pub async fn search_mailbox(
    State(state): State<AppState>,
    acct: Account,
    MailboxPath(mailbox): MailboxPath,
    ApiJson(req): ApiJson<SearchRequest>,
) -> Result<Json<SearchResponse>, ApiError> {
    let limit = req.limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::bad_request(format!("limit must be between 1 and {PAGE_MAX}")));
    }
    let summaries = match req.r#return.as_deref() {
        None | Some("uids") => false,
        Some("summaries") => true,
        Some(_) => return Err(ApiError::bad_request("return is `uids` or `summaries`")),
    };
    let key = build_key(req.filter.as_ref())?;
    let sort_specs = req.sort.unwrap_or_default();
    let sort = sort_order(&sort_specs)?;
    let collapse = req.collapse_threads.unwrap_or(false);
    let fingerprint = fingerprint(&[
        &req.filter.map(|f| f.to_string()).unwrap_or_default(),
        &serde_json::to_string(&sort_specs).unwrap_or_default(),
        if collapse { "threads" } else { "" },
    ]);
    let plan =
        SearchPlan { mailbox, key, sort, limit: limit as usize, cursor: req.cursor, summaries, fingerprint, collapse };
    Ok(Json(run_search(&state, &acct, plan).await?))
}

async fn search_one(
    acct: &Account,
    name: MailboxName,
    key: &SearchKey,
    limit: usize,
) -> Result<Option<(String, usize, Vec<MessageSummary>)>, RunError> {
    let name = &name;
    acct.read(|mut c| async move {
        let Read::Found(m) = search::search(&mut c, name, key, None, None).await? else { return Ok(None) };
        let top: Vec<u32> = m.uids.iter().copied().take(limit).collect();
        let items = message::summaries(&mut c, m.uid_validity, &top).await?;
        Ok(Some((name.as_str().to_string(), m.uids.len(), items)))
    })
    .await
}

/// Search several mailboxes (or all selectable ones) and merge the newest matches.
///
/// The filter runs in each mailbox (at most 100, a few at a time), and the newest matches over all
/// of them come back, each naming its mailbox.
#[utoipa::path(post, path = "/v1/search", tag = "search", security(("bearer" = [])),
    request_body = MultiSearchRequest,
    responses(
        (status = 200, body = MultiSearchResponse),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid filter, or a mailbox name longer than the configured limits (`mailbox-name-too-long`)"),
    ))]
pub async fn search_all(
    State(state): State<AppState>,
    acct: Account,
    ApiJson(req): ApiJson<MultiSearchRequest>,
) -> Result<Json<MultiSearchResponse>, ApiError> {
    let limit = req.limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=MULTI_SEARCH_MAX).contains(&limit) {
        return Err(ApiError::bad_request(format!("limit must be between 1 and {MULTI_SEARCH_MAX}")));
    }
    let key = build_key(req.filter.as_ref())?;
    let names = mailboxes::to_read(&acct, req.mailboxes, &[]).await?;
    let searched = names.len();
    let read = |name| search_one(&acct, name, &key, limit as usize);
    let results = mailboxes::each(&state, &acct, names, read, map_unsupported).await?;
    let mut items = Vec::new();
    let mut total = 0;
    for (mailbox, count, summaries) in results {
        total += count;
        items.extend(summaries.into_iter().map(|message| MailboxMatch { mailbox: mailbox.clone(), message }));
    }
    items.sort_by(|a, b| b.message.received_at.cmp(&a.message.received_at).then(b.message.uid.cmp(&a.message.uid)));
    items.truncate(limit as usize);
    Ok(Json(MultiSearchResponse { items, total, mailboxes_searched: searched }))
}
