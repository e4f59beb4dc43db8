//! `POST /v1/mailboxes/{mailbox}/select`, `/noop`, `/check`, `/close` and `/expunge`.

use axum::{Json, http::StatusCode};

use super::{
    account::Account,
    extract::{ApiJson, ApiQuery, MailboxPath},
    limits, mailbox_views,
};
use crate::http::rights;
use crate::{
    http::error::ApiError,
    imap::commands,
    views::{
        mailbox::{CloseQuery, ExpungeRequest, ExpungeResult, MailboxState, NoopResult},
        problem::Problem,
    },
};

/// SELECT a mailbox read-write and return its full state.
///
/// SELECT read-write: the counts, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, the flags and permanent
/// flags, and whether the server opened it read-only.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/select", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses((status = 200, body = MailboxState)))]
pub async fn select(acct: Account, MailboxPath(mailbox): MailboxPath) -> Result<Json<MailboxState>, ApiError> {
    let name = &mailbox;
    let s = acct.write(|mut c| async move { commands::select(&mut c, name).await }).await?;
    Ok(Json(mailbox_views::mailbox_state(mailbox.as_str(), &s)))
}

/// NOOP on the mailbox: what the server reports pending.
///
/// EXAMINE (read-only) and NOOP: the message count after what the server reported pending (new
/// messages, expunges, flag changes by other clients).
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/noop", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses((status = 200, body = NoopResult)))]
pub async fn noop(acct: Account, MailboxPath(mailbox): MailboxPath) -> Result<Json<NoopResult>, ApiError> {
    let p = acct.read(|mut c| async move { commands::noop(&mut c, &mailbox).await }).await?;
    Ok(Json(NoopResult { exists: p.exists, expunged: p.expunged, flag_changes: p.flag_changes }))
}

/// CHECK (NOOP on IMAP4rev2).
///
/// A checkpoint of the mailbox (CHECK; NOOP where IMAP4rev2 dropped CHECK). Answers 204.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/check", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses((status = 204, description = "done")))]
pub async fn check(acct: Account, MailboxPath(mailbox): MailboxPath) -> Result<StatusCode, ApiError> {
    acct.write(|mut c| async move { commands::check(&mut c, &mailbox).await }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// CLOSE (expunges `\Deleted` messages), or UNSELECT with `expunge=false`.
///
/// SELECTs the mailbox and CLOSEs it, which expunges its `\Deleted` messages; with `expunge=false`
/// it UNSELECTs instead, expunging nothing. Answers 204.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/close", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"), CloseQuery),
    responses((status = 204, description = "done")))]
pub async fn close(
    acct: Account,
    ApiQuery(q): ApiQuery<CloseQuery>,
    MailboxPath(mailbox): MailboxPath,
) -> Result<StatusCode, ApiError> {
    let expunge = q.expunge.unwrap_or(true);
    acct.write(|mut c| async move { commands::close(&mut c, &mailbox, expunge).await }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Expunge `{uids}` exactly (UID EXPUNGE), or every `\Deleted` message with `{all: true}`.
///
/// With `uids`, UID EXPUNGE removes exactly those of them that carry `\Deleted` (needs UIDPLUS,
/// else 501), never a message another client marked. With `all: true`, EXPUNGE removes every
/// `\Deleted` message. The answer lists the UIDs removed.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/expunge", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    request_body = ExpungeRequest,
    responses(
        (status = 200, body = ExpungeResult),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "neither uids nor all=true, or both"),
        (status = 501, body = Problem, content_type = "application/problem+json", description = "uids without UIDPLUS"),
    ))]
pub async fn expunge(
    acct: Account,
    MailboxPath(mailbox): MailboxPath,
    ApiJson(req): ApiJson<ExpungeRequest>,
) -> Result<Json<ExpungeResult>, ApiError> {
    if let Some(u) = &req.uids {
        limits::check_uids(u)?;
    }
    match (&req.uids, req.all) {
        (Some(_), Some(true)) => return Err(ApiError::bad_request("use either uids or all")),
        (None, all) if all != Some(true) => {
            return Err(ApiError::bad_request("without uids, send all: true to expunge every \\Deleted message"));
        }
        _ => {}
    }
    let m = &mailbox;
    let result = acct.write(|mut c| async move { commands::expunge(&mut c, m, req.uids.as_deref()).await }).await;
    let gone = rights::explained(&acct, &[(&mailbox, "e")], result, ApiError::from).await?;
    Ok(Json(ExpungeResult { expunged: gone }))
}
