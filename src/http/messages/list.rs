//! `GET /v1/mailboxes/{mailbox}/messages`: a page, newest first, with a signed keyset cursor.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    http::error::ApiError,
    http::{
        account::Account,
        extract::{ApiQuery, MailboxPath},
        found::{found, next_cursor, open_cursor},
        headers::header_value,
        limits::{PAGE_DEFAULT, PAGE_MAX},
        search,
        urls::segment,
    },
    imap::{message, threads},
    state::AppState,
    views::{
        message::{MessagePage, MessageSummary, PageQuery},
        problem::Problem,
    },
};

/// A page of message summaries, newest first.
///
/// The cursor stays valid when new mail arrives.
///
/// Messages by UID from the newest, with envelope, keywords, size, preview and attachment flag; the
/// query filters (`from`, `seen`, `since`, …) narrow them with SEARCH. Pages follow a signed cursor
/// (also in the `Link` header), which stays exact when mail arrives or goes. With
/// `collapseThreads=true`, one item per conversation.
#[utoipa::path(get, path = "/v1/mailboxes/{mailbox}/messages", tag = "messages", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"), PageQuery),
    responses(
        (status = 200, body = MessagePage, headers(("Link" = String, description = "RFC 8288 `rel=\"next\"`"))),
        (status = 410, body = Problem, content_type = "application/problem+json", description = "UIDVALIDITY changed"),
    ))]
pub async fn list_messages(
    State(state): State<AppState>,
    acct: Account,
    ApiQuery(q): ApiQuery<PageQuery>,
    MailboxPath(mailbox): MailboxPath,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(ApiError::bad_request(format!("limit must be between 1 and {PAGE_MAX}")));
    }
    let collapse = q.collapse_threads.unwrap_or(false);
    if let Some(filter) = q.filter() {
        // Simple filters: the search path, with summaries, in the page shape.
        let key = search::build_key(Some(&filter))?;
        let plan = search::SearchPlan {
            mailbox: mailbox.clone(),
            key,
            sort: None,
            limit: limit as usize,
            cursor: q.cursor.clone(),
            summaries: true,
            fingerprint: search::fingerprint(&["list", &filter.to_string(), if collapse { "threads" } else { "" }]),
            collapse,
        };
        let found = search::run_search(&state, &acct, plan).await?;
        let body = MessagePage {
            items: found.items.unwrap_or_default(),
            total: found.total as u32,
            next_cursor: found.next_cursor,
            threads: None,
        };
        return Ok(Json(body).into_response());
    }
    // A collapsed listing's cursors say so, and are good for collapsed listings only.
    let kind = collapse.then_some(COLLAPSED);
    let cursor = q.cursor.as_deref().map(|c| open_cursor(&state, c, acct.id(), mailbox.as_str())).transpose()?;
    if cursor.as_ref().is_some_and(|c| c.q.as_deref() != kind) {
        return Err(ApiError::invalid_cursor("the cursor belongs to another listing (collapseThreads)"));
    }
    let (known, before) = (cursor.as_ref().map(|c| c.uv), cursor.as_ref().map(|c| c.before));
    let (name, cache) = (&mailbox, acct.cache());
    let (page, threads) = if collapse {
        let page =
            acct.read(|mut c| async move {
                threads::collapsed_page(&mut c, name, known, before, limit as usize, cache).await
            })
            .await?;
        let page = found(page, StatusCode::GONE, known, || ApiError::not_found("no such mailbox"))?;
        let threads = page.threads;
        (
            Page { uid_validity: page.uid_validity, exists: page.exists, items: page.items, last: page.next_before },
            Some(threads),
        )
    } else {
        let page = acct
            .read(|mut c| async move { message::page(&mut c, name, known, before, limit as usize, Some(cache)).await })
            .await?;
        let page = found(page, StatusCode::GONE, known, || ApiError::not_found("no such mailbox"))?;
        let last = page.last_uid.filter(|_| page.has_more);
        (Page { uid_validity: page.uid_validity, exists: page.exists, items: page.items, last }, None)
    };
    let next_cursor = next_cursor(&state, acct.id(), mailbox.as_str(), page.uid_validity, page.last, kind);
    let mut headers = HeaderMap::new();
    if let Some(c) = &next_cursor {
        let also = if collapse { "&collapseThreads=true" } else { "" };
        let link = format!(
            "</v1/mailboxes/{}/messages?limit={limit}{also}&cursor={c}>; rel=\"next\"",
            segment(mailbox.as_str())
        );
        headers.insert(header::LINK, header_value(&link));
    }
    let body = MessagePage { items: page.items, total: page.exists, next_cursor, threads };
    Ok((headers, Json(body)).into_response())
}

/// What a listing's cursors carry as their search for collapsed listings.
const COLLAPSED: &str = "collapseThreads";

/// One page of either listing.
struct Page {
    uid_validity: u32,
    exists: u32,
    items: Vec<MessageSummary>,
    /// The next page's keyset, when there is one.
    last: Option<u32>,
}
