//! `GET /v1/mailboxes/{mailbox}/messages`: a page, newest first, with a signed keyset cursor.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{header_value, segment};
use crate::{
    auth::cursor::{Cursor, CursorError},
    error::ApiError,
    http::{
        extract::{ApiPath, ApiQuery, AuthUser},
        search,
    },
    imap::{cache, encode::MailboxName, message, read::Read, run},
    state::AppState,
    views::{
        message::{MessagePage, PageQuery},
        problem::Problem,
    },
};

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size.
pub const MAX_LIMIT: u32 = 500;

/// A page of message summaries, newest first. The cursor stays valid when new mail arrives.
#[utoipa::path(get, path = "/v1/mailboxes/{mailbox}/messages", tag = "messages", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"), PageQuery),
    responses(
        (status = 200, body = MessagePage, headers(("Link" = String, description = "RFC 8288 `rel=\"next\"`"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json", description = "UIDVALIDITY changed"),
        (status = 502, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_messages(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let mailbox = MailboxName::parse(&name)?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let account = user.claims.sub.clone();
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
            fingerprint: search::fingerprint(&["list", &filter.to_string()]),
        };
        let found = search::run_search(&state, &account, plan).await?;
        let body = MessagePage {
            items: found.items.unwrap_or_default(),
            total: found.total as u32,
            next_cursor: found.next_cursor,
        };
        return Ok(Json(body).into_response());
    }
    let cursor = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(state.auth.cursors.open(c, &account, mailbox.as_str()).map_err(|e| match e {
            CursorError::Invalid => ApiError::invalid_cursor("not a cursor of this gateway"),
            CursorError::Elsewhere => ApiError::invalid_cursor("the cursor belongs to another mailbox"),
        })?),
    };
    let pool = state.pool_for(&account).await?;
    let (known, before) = (cursor.as_ref().map(|c| c.uv), cursor.as_ref().map(|c| c.before));
    let page = run::read(&pool, |c| {
        let (mailbox, pools, account) = (mailbox.clone(), state.pools.clone(), account.clone());
        Box::pin(async move {
            let cache = cache::CacheScope::of(&pools, &account);
            message::page(c, &mailbox, known, before, limit as usize, Some(cache)).await
        })
    })
    .await?;
    let page = match page {
        Read::Found(p) => p,
        Read::Stale { current } => {
            return Err(ApiError::uid_validity_changed(StatusCode::GONE, known.unwrap_or(0), current));
        }
        Read::NotFound => return Err(ApiError::not_found("no such mailbox")),
    };
    let next_cursor = match (page.has_more, page.last_uid) {
        (true, Some(last)) => Some(state.auth.cursors.seal(&Cursor {
            v: 1,
            a: account,
            m: mailbox.as_str().to_string(),
            uv: page.uid_validity,
            before: last,
            q: None,
        })),
        _ => None,
    };
    let mut headers = HeaderMap::new();
    if let Some(c) = &next_cursor {
        let link =
            format!("</v1/mailboxes/{}/messages?limit={limit}&cursor={c}>; rel=\"next\"", segment(mailbox.as_str()));
        headers.insert(header::LINK, header_value(&link));
    }
    let body = MessagePage { items: page.items, total: page.exists, next_cursor };
    Ok((headers, Json(body)).into_response())
}
