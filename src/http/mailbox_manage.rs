//! `POST /v1/mailboxes`, `PATCH` and `DELETE /v1/mailboxes/{mailbox}`, and
//! `PUT`/`DELETE /v1/mailboxes/{mailbox}/subscription`.

use axum::{
    Json,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    account::Account,
    extract::{ApiJson, ApiQuery, MailboxPath},
    headers::header_value,
    mailbox_views,
    urls::segment,
};
use crate::{
    http::error::ApiError,
    imap::{
        ImapError,
        encode::{ListPattern, MailboxName, Role},
        mailbox, manage,
    },
    views::{
        mailbox::{CreateMailbox, DeleteQuery, Mailbox, RenameMailbox},
        problem::Problem,
    },
};

fn write_error(e: ImapError) -> ApiError {
    match e {
        // A well-formed request this server does not allow (like an ACL refusal): 403.
        ImapError::Unsupported("CREATE-SPECIAL-USE") => ApiError::new(
            StatusCode::FORBIDDEN,
            "role-not-supported",
            "The IMAP server cannot give a new mailbox a role",
        )
        .detail("the server has no CREATE-SPECIAL-USE; create the mailbox without `role`"),
        other => other.into(),
    }
}

/// The mailbox view of `name`, with a Location header.
async fn created(acct: &Account, name: MailboxName, status: StatusCode) -> Result<Response, ApiError> {
    let pattern = ListPattern::matching(&name);
    let (entries, source) =
        acct.read(|mut c| async move { mailbox::list(&mut c, &pattern, false, true).await }).await?;
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
///
/// CREATE, with `(USE (\Role))` for a `role` where the server has CREATE-SPECIAL-USE; missing
/// parents are created too, and the new mailbox is subscribed unless `subscribe=false`. 409
/// `already-exists` if it exists.
#[utoipa::path(post, path = "/v1/mailboxes", tag = "mailboxes", security(("bearer" = [])), request_body = CreateMailbox,
    responses(
        (status = 201, body = Mailbox, headers(("Location" = String, description = "the mailbox URL"))),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "`role-not-supported`: the server has no CREATE-SPECIAL-USE"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "already exists"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "an unknown role"),
    ))]
pub async fn create_mailbox(acct: Account, ApiJson(req): ApiJson<CreateMailbox>) -> Result<Response, ApiError> {
    let role = match req.role.as_deref() {
        None => None,
        Some(r) => Some(Role::parse(r).ok_or_else(|| ApiError::invalid_property("role", "unknown role"))?),
    };
    let full = match &req.parent {
        None => MailboxName::parse(&req.name)?,
        Some(parent) => {
            let delim =
                acct.read(|mut c| async move { manage::delimiter(&mut c).await }).await?.unwrap_or_else(|| "/".into());
            MailboxName::parse(&format!("{parent}{delim}{}", req.name))?
        }
    };
    let subscribe = req.subscribe.unwrap_or(true);
    let name = &full;
    acct.write(|mut c| async move { manage::create(&mut c, name, role, subscribe).await })
        .await
        .map_err(|e| e.map_imap(write_error))?;
    created(&acct, full, StatusCode::CREATED).await
}

/// Rename a mailbox; its children move with it.
///
/// RENAME to the new full name; children move with it. Renaming INBOX
/// moves its messages to the new mailbox and needs `allowInboxRename: true`.
#[utoipa::path(patch, path = "/v1/mailboxes/{mailbox}", tag = "mailboxes", security(("bearer" = [])), request_body = RenameMailbox,
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses(
        (status = 200, body = Mailbox, headers(("Location" = String, description = "the new mailbox URL"))),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the new name exists, or is below the mailbox (`rename-below-itself`)"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "INBOX rename without allowInboxRename"),
    ))]
pub async fn rename_mailbox(
    acct: Account,
    MailboxPath(from): MailboxPath,
    ApiJson(req): ApiJson<RenameMailbox>,
) -> Result<Response, ApiError> {
    let to = MailboxName::parse(&req.name)?;
    if from.is_inbox() && req.allow_inbox_rename != Some(true) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "inbox-rename", "Renaming INBOX moves its messages")
            .detail("renaming INBOX moves all its messages into the new mailbox and leaves INBOX empty; send allowInboxRename: true"));
    }
    let new = &to;
    if !acct.write(|mut c| async move { manage::rename(&mut c, &from, new).await }).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "rename-below-itself", "A mailbox cannot move below itself")
            .detail("the new name is inside the mailbox being renamed"));
    }
    created(&acct, to, StatusCode::OK).await
}

/// Delete a mailbox: 409 if it has children, unless `recursive=true`.
///
/// INBOX cannot be deleted.
///
/// DELETE of exactly this name; with `recursive=true` its children first, found by an exact prefix
/// of the name (`*` and `%` are characters here, never wildcards). The mailbox is unsubscribed too.
#[utoipa::path(delete, path = "/v1/mailboxes/{mailbox}", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment"), DeleteQuery),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "INBOX"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "has children"),
    ))]
pub async fn delete_mailbox(
    acct: Account,
    ApiQuery(q): ApiQuery<DeleteQuery>,
    MailboxPath(mailbox): MailboxPath,
) -> Result<StatusCode, ApiError> {
    if mailbox.is_inbox() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "cannot", "INBOX cannot be deleted"));
    }
    let recursive = q.recursive.unwrap_or(false);
    let outcome = acct.write(|mut c| async move { manage::delete(&mut c, &mailbox, recursive).await }).await?;
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

async fn subscription(acct: Account, mailbox: MailboxName, on: bool) -> Result<StatusCode, ApiError> {
    acct.write(|mut c| async move { manage::set_subscribed(&mut c, &mailbox, on).await }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Subscribe to a mailbox.
///
/// SUBSCRIBE: the mailbox is listed with `subscribed=true`. Answers 204.
#[utoipa::path(put, path = "/v1/mailboxes/{mailbox}/subscription", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses((status = 204, description = "subscribed")))]
pub async fn subscribe(acct: Account, MailboxPath(mailbox): MailboxPath) -> Result<StatusCode, ApiError> {
    subscription(acct, mailbox, true).await
}

/// Unsubscribe from a mailbox.
///
/// UNSUBSCRIBE: the mailbox stays, it is only left out of `subscribed=true` lists. Answers 204.
#[utoipa::path(delete, path = "/v1/mailboxes/{mailbox}/subscription", tag = "mailboxes", security(("bearer" = [])),
    params(("mailbox" = String, Path, description = "Full mailbox name, percent-encoded as one segment")),
    responses((status = 204, description = "unsubscribed")))]
pub async fn unsubscribe(acct: Account, MailboxPath(mailbox): MailboxPath) -> Result<StatusCode, ApiError> {
    subscription(acct, mailbox, false).await
}
