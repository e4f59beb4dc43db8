//! `GET /v1/threads/{threadId}`: a conversation across the account's mailboxes, oldest first.
//! Each mailbox is searched for the thread's root among Message-ID, In-Reply-To and
//! References (or, for a message without ids, for messages without them), with the fan-out
//! of a search over several mailboxes; only summaries whose thread id is the one asked for
//! are kept.

use axum::{
    Json,
    extract::{RawQuery, State},
};

use crate::{
    convert::thread::{self, ThreadName},
    http::{
        account::{Account, RunError},
        error::ApiError,
        extract::ApiPath,
        limits::THREAD_MESSAGES_MAX,
        search::mailboxes,
    },
    imap::{
        encode::{MailboxName, SearchKey},
        message,
        read::Read,
        search,
    },
    state::AppState,
    views::{
        message::MessageSummary,
        problem::Problem,
        search::MailboxMatch,
        thread::{Thread, ThreadQuery},
    },
};

/// Roles whose mailboxes a thread leaves out unless named.
const SKIPPED_ROLES: [&str; 2] = ["trash", "junk"];

/// The search that finds a thread's candidates.
fn candidates(name: &ThreadName) -> SearchKey {
    let header = |field: &str, value: &str| SearchKey::Header(field.into(), value.into());
    let key = match name {
        // The root as it is, brackets or not (a substring search: the thread id check below
        // drops what only contains it).
        ThreadName::Root(root) => SearchKey::Or(
            Box::new(header("Message-ID", root)),
            Box::new(SearchKey::Or(Box::new(header("In-Reply-To", root)), Box::new(header("References", root)))),
        ),
        // No usable id: no Message-ID field, or one without `@`.
        ThreadName::Lone(_) => SearchKey::Not(Box::new(header("Message-ID", "@"))),
    };
    SearchKey::And(vec![SearchKey::Deleted(false), key])
}

/// `mailboxes=` repeated, and nothing else (the form a query string of repeated names has,
/// which `ApiQuery` cannot read into a list).
fn mailboxes_asked(raw: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    let mut named: Option<Vec<String>> = None;
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "mailboxes" => named.get_or_insert_default().push(v.into_owned()),
            other => return Err(ApiError::bad_request(format!("unknown query parameter `{other}`"))),
        }
    }
    Ok(named)
}

async fn thread_in(
    acct: &Account,
    name: MailboxName,
    key: &SearchKey,
    thread_id: &str,
) -> Result<Option<(String, Vec<MessageSummary>)>, RunError> {
    let name = &name;
    acct.read(|mut c| async move {
        let Read::Found(m) = search::search(&mut c, name, key, None, None).await? else { return Ok(None) };
        let newest: Vec<u32> = m.uids.iter().copied().take(THREAD_MESSAGES_MAX).collect();
        let items = message::summaries(&mut c, m.uid_validity, &newest).await?;
        Ok(Some((name.as_str().to_string(), items.into_iter().filter(|s| s.thread_id == thread_id).collect())))
    })
    .await
}

/// A conversation: every message of one thread.
///
/// A conversation: every message with this thread id in the account's mailboxes (all but Trash and
/// Junk unless `mailboxes` names them), oldest first.
///
/// At most 500 messages per mailbox (the newest).
///
/// The thread id of any message (`threadId` in its summary) names the conversation; the gateway
/// finds its messages by their References, In-Reply-To and Message-ID headers in each mailbox
/// searched.
#[utoipa::path(get, path = "/v1/threads/{threadId}", tag = "messages", security(("bearer" = [])),
    params(("threadId" = String, Path, description = "A `threadId` of a message"), ThreadQuery),
    responses(
        (status = 200, body = Thread),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no message of the thread in the mailboxes searched, or not a thread id"),
    ))]
pub async fn get_thread(
    State(state): State<AppState>,
    acct: Account,
    ApiPath(thread_id): ApiPath<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Thread>, ApiError> {
    let q = ThreadQuery { mailboxes: mailboxes_asked(raw.as_deref())? };
    let Some(name) = thread::parse_thread_id(&thread_id) else {
        return Err(ApiError::not_found("not a thread id of this gateway"));
    };
    let key = candidates(&name);
    let names = mailboxes::to_read(&acct, q.mailboxes, &SKIPPED_ROLES).await?;
    let searched = names.len();
    let read = |name| thread_in(&acct, name, &key, &thread_id);
    let mut messages = Vec::new();
    for (mailbox, items) in mailboxes::each(&state, &acct, names, read, ApiError::from).await? {
        messages.extend(items.into_iter().map(|message| MailboxMatch { mailbox: mailbox.clone(), message }));
    }
    if messages.is_empty() {
        return Err(ApiError::not_found("no message of this thread in the mailboxes searched"));
    }
    messages.sort_by(|a, b| {
        let when = |m: &MailboxMatch| m.message.sent_at.clone().or_else(|| m.message.received_at.clone());
        when(a)
            .cmp(&when(b))
            .then_with(|| a.message.received_at.cmp(&b.message.received_at))
            .then_with(|| a.mailbox.cmp(&b.mailbox))
            .then_with(|| a.message.uid.cmp(&b.message.uid))
    });
    Ok(Json(Thread { thread_id, messages, mailboxes_searched: searched }))
}
