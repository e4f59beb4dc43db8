//! `POST /v1/mailboxes/{mailbox}/select`, `/noop`, `/check`, `/close` and `/expunge`.

use axum::{Json, extract::State, http::StatusCode};

use super::{
    extract::{ApiJson, ApiPath, ApiQuery, AuthUser},
    mailbox_views,
};
use crate::{
    error::ApiError,
    imap::{commands, encode::MailboxName, run},
    state::AppState,
    views::{
        mailbox::{CloseQuery, ExpungeRequest, ExpungeResult, MailboxState, NoopResult},
        problem::Problem,
    },
};

/// SELECT a mailbox read-write and return its full state.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/select", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses((status = 200, body = MailboxState), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn select(
    State(st): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<MailboxState>, ApiError> {
    let mailbox = MailboxName::parse(&name)?;
    let pool = st.pool_for(&user.claims.sub).await?;
    let m = mailbox.clone();
    let s = run::once(&pool, move |c| Box::pin(async move { commands::select(c, &m).await })).await?;
    Ok(Json(mailbox_views::mailbox_state(mailbox.as_str(), &s)))
}

/// NOOP on the mailbox: what the server reports pending.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/noop", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses((status = 200, body = NoopResult), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn noop(
    State(st): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<NoopResult>, ApiError> {
    let mailbox = MailboxName::parse(&name)?;
    let pool = st.pool_for(&user.claims.sub).await?;
    let p = run::read(&pool, |c| {
        let m = mailbox.clone();
        Box::pin(async move { commands::noop(c, &m).await })
    })
    .await?;
    Ok(Json(NoopResult { exists: p.exists, expunged: p.expunged, flag_changes: p.flag_changes }))
}

/// CHECK (NOOP on IMAP4rev2).
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/check", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses((status = 204, description = "done"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn check(
    State(st): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let mailbox = MailboxName::parse(&name)?;
    let pool = st.pool_for(&user.claims.sub).await?;
    run::once(&pool, move |c| Box::pin(async move { commands::check(c, &mailbox).await })).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// CLOSE (expunges `\Deleted` messages), or UNSELECT with `expunge=false`.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/close", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"), CloseQuery),
    responses((status = 204, description = "done"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn close(
    State(st): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<CloseQuery>,
) -> Result<StatusCode, ApiError> {
    let mailbox = MailboxName::parse(&name)?;
    let expunge = q.expunge.unwrap_or(true);
    let pool = st.pool_for(&user.claims.sub).await?;
    run::once(&pool, move |c| Box::pin(async move { commands::close(c, &mailbox, expunge).await })).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Expunge `{uids}` exactly (UID EXPUNGE), or every `\Deleted` message with `{all: true}`.
#[utoipa::path(post, path = "/v1/mailboxes/{mailbox}/expunge", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    request_body = ExpungeRequest,
    responses(
        (status = 200, body = ExpungeResult),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "neither uids nor all=true"),
        (status = 501, body = Problem, content_type = "application/problem+json", description = "uids without UIDPLUS"),
    ))]
pub async fn expunge(
    State(st): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiJson(req): ApiJson<ExpungeRequest>,
) -> Result<Json<ExpungeResult>, ApiError> {
    let mailbox = MailboxName::parse(&name)?;
    if let Some(u) = &req.uids {
        super::messages::check_uids(u)?;
    }
    match (&req.uids, req.all) {
        (Some(_), Some(true)) => return Err(ApiError::bad_request("use either uids or all")),
        (None, all) if all != Some(true) => {
            return Err(ApiError::bad_request("without uids, send all: true to expunge every \\Deleted message"));
        }
        _ => {}
    }
    let pool = st.pool_for(&user.claims.sub).await?;
    let uids = req.uids;
    let gone =
        run::once(&pool, move |c| Box::pin(async move { commands::expunge(c, &mailbox, uids.as_deref()).await }))
            .await?;
    Ok(Json(ExpungeResult { expunged: gone }))
}
