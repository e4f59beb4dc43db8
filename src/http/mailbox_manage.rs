//! `POST /v1/mailboxes`, `PATCH` and `DELETE /v1/mailboxes/{mailbox}`, and
//! `PUT`/`DELETE /v1/mailboxes/{mailbox}/subscription`.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    extract::{ApiJson, ApiPath, ApiQuery, AuthUser},
    mailbox_views,
    messages::{header_value, segment},
};
use crate::{
    error::ApiError,
    imap::{
        AccountPool, ImapError,
        encode::{ListPattern, MailboxName, Role},
        mailbox, manage, run,
    },
    state::AppState,
    views::{
        mailbox::{CreateMailbox, DeleteQuery, Mailbox, RenameMailbox},
        problem::Problem,
    },
};

fn write_error(e: ImapError) -> ApiError {
    match e {
        ImapError::Unsupported("CREATE-SPECIAL-USE") => {
            ApiError::invalid_property("role", "the IMAP server cannot create mailboxes with a role")
        }
        other => other.into(),
    }
}

/// The mailbox view of `name`, with a Location header.
async fn created(pool: &AccountPool, name: MailboxName, status: StatusCode) -> Result<Response, ApiError> {
    let pattern = ListPattern::matching(&name);
    let (entries, source) = run::read(pool, |c| {
        let pattern = pattern.clone();
        Box::pin(async move { mailbox::list(c, &pattern, false, true).await })
    })
    .await?;
    let view: Mailbox = mailbox_views::mailbox_list(&entries, source)
        .items
        .into_iter()
        .find(|m| m.name == name.as_str())
        .ok_or_else(|| ApiError::internal("a created mailbox is missing from LIST"))?;
    let mut headers = HeaderMap::new();
    headers.insert(header::LOCATION, header_value(&format!("/v1/mailboxes/{}", segment(name.as_str()))));
    Ok((status, headers, Json(view)).into_response())
}

/// Create a mailbox (and any missing parents).
#[utoipa::path(post, path = "/v1/mailboxes", tag = "mailboxes", security(("bearer" = [])), request_body = CreateMailbox,
    responses(
        (status = 201, body = Mailbox, headers(("Location" = String, description = "the mailbox URL"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "already exists"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "role not possible"),
    ))]
pub async fn create_mailbox(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<CreateMailbox>,
) -> Result<Response, ApiError> {
    let role = match req.role.as_deref() {
        None => None,
        Some(r) => Some(Role::parse(r).ok_or_else(|| ApiError::invalid_property("role", "unknown role"))?),
    };
    let pool = state.pool_for(&user.claims.sub).await?;
    let full = match &req.parent {
        None => MailboxName::parse(&req.name)?,
        Some(parent) => {
            let delim = run::read(&pool, |c| Box::pin(async move { manage::delimiter(c).await }))
                .await?
                .unwrap_or_else(|| "/".into());
            MailboxName::parse(&format!("{parent}{delim}{}", req.name))?
        }
    };
    let subscribe = req.subscribe.unwrap_or(true);
    let name = full.clone();
    run::once(&pool, move |c| Box::pin(async move { manage::create(c, &name, role, subscribe).await }))
        .await
        .map_err(write_error)?;
    created(&pool, full, StatusCode::CREATED).await
}

/// Rename a mailbox; its children move with it.
#[utoipa::path(patch, path = "/v1/mailboxes/{mailbox}", tag = "mailboxes", security(("bearer" = [])), request_body = RenameMailbox,
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses(
        (status = 200, body = Mailbox, headers(("Location" = String, description = "the new mailbox URL"))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the new name exists"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "INBOX rename without allowInboxRename"),
    ))]
pub async fn rename_mailbox(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiJson(req): ApiJson<RenameMailbox>,
) -> Result<Response, ApiError> {
    let from = MailboxName::parse(&name)?;
    let to = MailboxName::parse(&req.name)?;
    if from.is_inbox() && req.allow_inbox_rename != Some(true) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "inbox-rename", "Renaming INBOX moves its messages")
            .detail("renaming INBOX moves all its messages into the new mailbox and leaves INBOX empty; send allowInboxRename: true"));
    }
    let pool = state.pool_for(&user.claims.sub).await?;
    let (f, t) = (from.clone(), to.clone());
    run::once(&pool, move |c| Box::pin(async move { manage::rename(c, &f, &t).await })).await?;
    created(&pool, to, StatusCode::OK).await
}

/// Delete a mailbox: 409 if it has children, unless `recursive=true`. INBOX cannot be deleted.
#[utoipa::path(delete, path = "/v1/mailboxes/{mailbox}", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"), DeleteQuery),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "INBOX"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "has children"),
    ))]
pub async fn delete_mailbox(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    let mailbox = MailboxName::parse(&name)?;
    if mailbox.is_inbox() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "cannot", "INBOX cannot be deleted"));
    }
    let recursive = q.recursive.unwrap_or(false);
    let pool = state.pool_for(&user.claims.sub).await?;
    let outcome =
        run::once(&pool, move |c| Box::pin(async move { manage::delete(c, &mailbox, recursive).await })).await?;
    match outcome {
        manage::Deleted::Done => Ok(StatusCode::NO_CONTENT),
        manage::Deleted::Missing => {
            Err(ApiError::new(StatusCode::NOT_FOUND, "mailbox-not-found", "The mailbox does not exist")
                .detail("no mailbox has this exact name; nothing was deleted"))
        }
        manage::Deleted::HasChildren(children) => {
            Err(ApiError::new(StatusCode::CONFLICT, "mailbox-has-child", "The mailbox has children")
                .detail(format!("{} mailboxes below it; send recursive=true to delete them too", children.len())))
        }
    }
}

async fn subscription(state: AppState, user: AuthUser, name: String, on: bool) -> Result<StatusCode, ApiError> {
    let mailbox = MailboxName::parse(&name)?;
    let pool = state.pool_for(&user.claims.sub).await?;
    run::once(&pool, move |c| Box::pin(async move { manage::set_subscribed(c, &mailbox, on).await })).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Subscribe to a mailbox.
#[utoipa::path(put, path = "/v1/mailboxes/{mailbox}/subscription", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses((status = 204, description = "subscribed"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn subscribe(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    subscription(state, user, name, true).await
}

/// Unsubscribe from a mailbox.
#[utoipa::path(delete, path = "/v1/mailboxes/{mailbox}/subscription", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses((status = 204, description = "unsubscribed"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    subscription(state, user, name, false).await
}
